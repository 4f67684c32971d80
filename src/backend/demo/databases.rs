//! The demo engine's databases: deterministic `sales` (customers, orders) and `inventory`
//! (warehouses, items, stock_levels). Each database is built in a temporary
//! file and renamed into place, so a crash never leaves a half-seeded one.

use crate::backend::sqlserver::SqlError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{params, Connection};
use std::path::Path;

const FIRST: &[&str] = &[
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Liam",
    "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wim", "Yara",
];
const LAST: &[&str] = &[
    "Schmidt", "Rossi", "Garcia", "Novak", "Dubois", "Jensen", "Kowalski", "Silva", "Murphy", "Tanaka",
    "Okafor", "Larsen", "Moreau", "Fischer", "Costa", "Nguyen", "Patel", "Berg", "Weber", "Ivanova",
];
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "DE"), ("Munich", "DE"), ("Paris", "FR"), ("Lyon", "FR"), ("Madrid", "ES"),
    ("Milan", "IT"), ("Vienna", "AT"), ("Zurich", "CH"), ("Amsterdam", "NL"), ("Warsaw", "PL"),
    ("Dublin", "IE"), ("Lisbon", "PT"), ("Copenhagen", "DK"), ("Prague", "CZ"),
];
const STATUSES: &[&str] = &["pending", "paid", "shipped", "delivered", "delivered", "delivered", "cancelled"];
const ADJ: &[&str] = &["Compact", "Heavy-duty", "Wireless", "Ergonomic", "Stainless", "Solar", "Foldable", "Smart", "Classic", "Mini"];
const NOUN: &[&str] = &[
    "Drill", "Kettle", "Lamp", "Chair", "Backpack", "Speaker", "Thermos", "Router", "Keyboard", "Bike Lock",
    "Tent", "Blender", "Monitor Arm", "Toolbox", "Fan",
];
const CATEGORIES: &[&str] = &["tools", "kitchen", "lighting", "furniture", "outdoor", "electronics"];

pub(crate) const CUSTOMERS: u32 = 200;
pub(crate) const ORDERS: u32 = 2000;
pub(crate) const ITEMS: u32 = 500;

/// Creates `<dir>/sales.sqlite` and `<dir>/inventory.sqlite` if missing (idempotent): the
/// instance directory of a demo SQL Server instance.
pub fn seed(dir: &Path) -> Result<(), SqlError> {
    std::fs::create_dir_all(dir)?;
    build_if_missing(dir, "sales", seed_sales)?;
    build_if_missing(dir, "inventory", seed_inventory)?;
    Ok(())
}

fn build_if_missing(dir: &Path, name: &str, fill: fn(&mut Connection) -> rusqlite::Result<()>) -> Result<(), SqlError> {
    let target = dir.join(format!("{name}.sqlite"));
    if target.exists() {
        return Ok(());
    }
    let tmp = dir.join(format!(".seed-{name}-{}.tmp", uuid::Uuid::new_v4()));
    let result = (|| -> Result<(), SqlError> {
        let mut conn = Connection::open(&tmp)?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        fill(&mut conn)?;
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.close().map_err(|(_, e)| SqlError::from(e))?;
        // Another seeder may have won the race; keep theirs.
        match std::fs::hard_link(&tmp, &target) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(_) if !target.exists() => Ok(std::fs::rename(&tmp, &target)?),
            Err(e) => Err(e.into()),
        }
    })();
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = tmp.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    result
}

/// `YYYY-MM-DD` for a day offset from 2023-01-01 (proleptic Gregorian).
fn date_from_offset(offset: i64) -> String {
    // days since 1970-01-01 of 2023-01-01 is 19358
    let z = 19_358 + offset + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn seed_sales(conn: &mut Connection) -> rusqlite::Result<()> {
    let mut rng = StdRng::seed_from_u64(0x5A1E5);
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE,
            city TEXT NOT NULL,
            country TEXT NOT NULL,
            created_at TEXT NOT NULL
         );
         CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            order_date TEXT NOT NULL,
            status TEXT NOT NULL,
            total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
            currency TEXT NOT NULL,
            note TEXT
         );
         CREATE INDEX orders_customer ON orders(customer_id);
         CREATE INDEX orders_date ON orders(order_date);",
    )?;
    {
        let mut ins = tx.prepare(
            "INSERT INTO customers (id, first_name, last_name, email, city, country, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for id in 1..=CUSTOMERS {
            let first = FIRST[rng.gen_range(0..FIRST.len())];
            let last = LAST[rng.gen_range(0..LAST.len())];
            let (city, country) = CITIES[rng.gen_range(0..CITIES.len())];
            let email = format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), id);
            let created = date_from_offset(rng.gen_range(-700..0));
            ins.execute(params![id, first, last, email, city, country, created])?;
        }
        let mut ins = tx.prepare(
            "INSERT INTO orders (id, customer_id, order_date, status, total_cents, currency, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for id in 1..=ORDERS {
            let customer = rng.gen_range(1..=CUSTOMERS);
            let date = date_from_offset(rng.gen_range(0..700));
            let status = STATUSES[rng.gen_range(0..STATUSES.len())];
            let total: i64 = rng.gen_range(499..250_000);
            let currency = if rng.gen_bool(0.8) { "EUR" } else { "USD" };
            let note = if rng.gen_bool(0.1) { Some("gift wrap requested") } else { None };
            ins.execute(params![id, customer, date, status, total, currency, note])?;
        }
    }
    tx.commit()
}

fn seed_inventory(conn: &mut Connection) -> rusqlite::Result<()> {
    let mut rng = StdRng::seed_from_u64(0x1_7E57);
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE warehouses (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            city TEXT NOT NULL,
            country TEXT NOT NULL
         );
         CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            sku TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            category TEXT NOT NULL,
            unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0),
            weight_grams INTEGER NOT NULL
         );
         CREATE TABLE stock_levels (
            warehouse_id INTEGER NOT NULL REFERENCES warehouses(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            quantity INTEGER NOT NULL CHECK (quantity >= 0),
            reorder_level INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (warehouse_id, item_id)
         );
         CREATE INDEX stock_item ON stock_levels(item_id);",
    )?;
    let warehouses = [("BER1", "Berlin"), ("PAR1", "Paris"), ("MAD1", "Madrid"), ("WAW1", "Warsaw"), ("DUB1", "Dublin")];
    {
        let mut ins = tx.prepare("INSERT INTO warehouses (id, code, name, city, country) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (i, (code, city)) in warehouses.iter().enumerate() {
            let country = CITIES.iter().find(|(c, _)| c == city).map(|(_, k)| *k).unwrap_or("EU");
            ins.execute(params![i as i64 + 1, code, format!("{city} Distribution Center"), city, country])?;
        }
        let mut ins = tx.prepare(
            "INSERT INTO items (id, sku, name, category, unit_price_cents, weight_grams) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut stock = tx.prepare(
            "INSERT INTO stock_levels (warehouse_id, item_id, quantity, reorder_level, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for id in 1..=ITEMS {
            let name = format!("{} {}", ADJ[rng.gen_range(0..ADJ.len())], NOUN[rng.gen_range(0..NOUN.len())]);
            let category = CATEGORIES[rng.gen_range(0..CATEGORIES.len())];
            ins.execute(params![id, format!("SKU-{id:05}"), name, category, rng.gen_range(199..99_999), rng.gen_range(50..25_000)])?;
            let first = rng.gen_range(0..warehouses.len());
            let count = rng.gen_range(1..=3usize);
            for k in 0..count {
                let wh = (first + k) % warehouses.len() + 1;
                let updated = date_from_offset(rng.gen_range(600..700));
                stock.execute(params![wh as i64, id, rng.gen_range(0..1_000), rng.gen_range(5..50), updated])?;
            }
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_from_offset(0), "2023-01-01");
        assert_eq!(date_from_offset(59), "2023-03-01");
        assert_eq!(date_from_offset(365), "2024-01-01");
        assert_eq!(date_from_offset(-1), "2022-12-31");
    }
}
