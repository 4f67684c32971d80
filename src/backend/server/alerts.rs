//! `DescribeAlerts` and `AcknowledgeAlert`.
use crate::api::alert::*;
use crate::api::error as codes;
use crate::api::Page;
use crate::backend::alerts::wire;
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

pub fn describe_alerts(
    state: &AppState,
    r: DescribeAlertsRequest,
) -> ServerResult<DescribeAlertsResponse> {
    let status = match r.status.as_deref().map(str::to_ascii_uppercase) {
        None => None,
        Some(s) if s == ALERT_ACTIVE || s == ALERT_RESOLVED => Some(s),
        Some(s) => {
            return Err(ServerError::invalid(
                DescribeAlertsRequest::status,
                format!("{s:?} is not ACTIVE or RESOLVED"),
            ))
        }
    };
    let (page_number, page_size) = r.paging.resolve(50);
    let (total, rows) = state
        .catalog
        .list_alerts(status.as_deref(), page_number, page_size)?;
    Ok(DescribeAlertsResponse {
        page: Page {
            total_count: total,
            page_number,
            page_size,
        },
        alerts: Alerts {
            alert: rows.into_iter().map(wire).collect(),
        },
    })
}

pub fn acknowledge_alert(
    state: &AppState,
    r: AcknowledgeAlertRequest,
) -> ServerResult<AcknowledgeAlertResponse> {
    let row = state
        .catalog
        .acknowledge_alert(&r.alert_id)?
        .ok_or_else(|| {
            ServerError::not_found(
                codes::ALERT_NOT_FOUND,
                format!("The alert {} does not exist.", r.alert_id),
            )
        })?;
    Ok(AcknowledgeAlertResponse {
        alert_id: row.alert_id,
    })
}
