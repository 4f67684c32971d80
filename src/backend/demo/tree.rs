//! The demo file servers' generated trees: tens of MiB of realistic-looking files — documents,
//! CSV ledgers, logs, HTML/CSS/JS (text that compresses) and PDFs, spreadsheets, images and
//! archives (bytes that do not) — from a seeded PRNG, so the same name always gives the same
//! bytes. Each file is built in one reused buffer and written with one call.
use std::io::Write;
use std::path::Path;

/// SplitMix64: a fast seeded PRNG (not for secrets), 8 bytes per step.
struct Rng(u64);

impl Rng {
    fn seeded(parts: &[&str]) -> Rng {
        // FNV-1a over the parts: the seed of a file is its tree's name and its path.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for p in parts {
            for b in p.bytes().chain([0]) {
                h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len() as u64) as usize]
    }
}

/// What a file holds.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Paragraphs of business prose.
    Document,
    /// `date,account,reference,description,amount` rows.
    Ledger,
    /// Application log lines.
    AppLog,
    /// nginx access log lines.
    AccessLog,
    /// HTML pages, stylesheets, scripts.
    Markup,
    /// Incompressible bytes behind the format's magic number (PDF, xlsx/zip, JPEG, gzip).
    Binary(&'static [u8]),
}

/// `count` files `dir/{prefix}{i}{suffix}`, each of `min..=max` bytes.
struct Group {
    dir: &'static str,
    prefix: &'static str,
    suffix: &'static str,
    count: u32,
    min: usize,
    max: usize,
    kind: Kind,
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
const ZIP: &[u8] = b"PK\x03\x04\x14\x00\x06\x00";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00";
const GZIP: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03";

const fn g(dir: &'static str, prefix: &'static str, suffix: &'static str, count: u32, min: usize, max: usize, kind: Kind) -> Group {
    Group { dir, prefix, suffix, count, min, max, kind }
}

/// finance-fileserver (and any flavour not named below): about 52 MiB, 45 % of it incompressible.
const FINANCE: &[Group] = &[
    g("reports/2026", "Q", "-management-report.txt", 4, 400 * KIB, 700 * KIB, Kind::Document),
    g("reports/2025", "board-minutes-", ".txt", 12, 60 * KIB, 160 * KIB, Kind::Document),
    g("ledgers", "general-ledger-2026-", ".csv", 12, 900 * KIB, 1300 * KIB, Kind::Ledger),
    g("invoices/2026", "INV-2026-", ".csv", 240, 6 * KIB, 14 * KIB, Kind::Ledger),
    g("contracts", "contract-", ".pdf", 18, 250 * KIB, 900 * KIB, Kind::Binary(PDF)),
    g("contracts/scans", "signed-", ".pdf", 6, 600 * KIB, 1200 * KIB, Kind::Binary(PDF)),
    g("spreadsheets", "forecast-", ".xlsx", 12, 150 * KIB, 500 * KIB, Kind::Binary(ZIP)),
    g("logs", "erp-2026-11-", ".log", 10, 600 * KIB, 1100 * KIB, Kind::AppLog),
    g("exports", "erp-db-export-", ".sql.gz", 1, 4 * MIB, 4 * MIB, Kind::Binary(GZIP)),
];

/// web-01: about 43 MiB, 34 % of it incompressible.
const WEB: &[Group] = &[
    g("www/html", "page-", ".html", 120, 12 * KIB, 48 * KIB, Kind::Markup),
    g("www/static/css", "site-", ".css", 8, 40 * KIB, 120 * KIB, Kind::Markup),
    g("www/static/js", "bundle-", ".js", 10, 200 * KIB, 600 * KIB, Kind::Markup),
    g("www/static/img", "photo-", ".jpg", 60, 60 * KIB, 280 * KIB, Kind::Binary(JPEG)),
    g("var/log/nginx", "access.log.", "", 14, 800 * KIB, 1400 * KIB, Kind::AccessLog),
    g("var/log/app", "app-2026-11-", ".log", 10, 300 * KIB, 700 * KIB, Kind::AppLog),
    g("releases", "shop-1.", ".tar.gz", 3, 1200 * KIB, 1800 * KIB, Kind::Binary(GZIP)),
];

fn groups(flavour: &str) -> &'static [Group] {
    if flavour.starts_with("web") { WEB } else { FINANCE }
}

/// Writes the tree of `flavour` under `root`; returns the bytes written. The same flavour
/// always gives the same names and bytes.
pub(super) fn write_tree(root: &Path, flavour: &str) -> std::io::Result<u64> {
    let mut buf = Vec::with_capacity(4 * MIB + KIB);
    let mut total = 0u64;
    for group in groups(flavour) {
        let dir = root.join(group.dir);
        std::fs::create_dir_all(&dir)?;
        for i in 1..=group.count {
            let name = format!("{}{i:02}{}", group.prefix, group.suffix);
            let mut rng = Rng::seeded(&[flavour, group.dir, &name]);
            let size = group.min + rng.below((group.max - group.min + 1) as u64) as usize;
            fill(&mut buf, &mut rng, group.kind, size, flavour);
            std::fs::File::create(dir.join(&name))?.write_all(&buf)?;
            total += buf.len() as u64;
        }
    }
    Ok(total)
}

/// What changed on the file server before backup `round` (1, 2, …): one day's new log.
pub(super) fn write_changes(root: &Path, flavour: &str, round: u32) -> std::io::Result<u64> {
    let dir = root.join("logs");
    std::fs::create_dir_all(&dir)?;
    let name = format!("changes-{round}.log");
    let mut rng = Rng::seeded(&[flavour, "changes", &name]);
    let mut buf = Vec::new();
    fill(&mut buf, &mut rng, Kind::AppLog, 256 * KIB, flavour);
    std::fs::write(dir.join(name), &buf)?;
    Ok(buf.len() as u64)
}

/// Replaces `buf` by `size` bytes (text ends at a line break, so a little less) of `kind`.
fn fill(buf: &mut Vec<u8>, rng: &mut Rng, kind: Kind, size: usize, flavour: &str) {
    buf.clear();
    match kind {
        Kind::Binary(magic) => {
            buf.extend_from_slice(magic);
            while buf.len() < size {
                buf.extend_from_slice(&rng.next().to_le_bytes());
            }
            buf.truncate(size);
        }
        _ => {
            let mut line = 0u64;
            while buf.len() < size {
                text_line(buf, rng, kind, line, flavour);
                line += 1;
            }
        }
    }
}

const WORDS: &[&str] = &[
    "quarterly", "revenue", "forecast", "budget", "approval", "customer", "supplier", "invoice", "payment", "overdue",
    "margin", "audit", "compliance", "ledger", "account", "balance", "review", "contract", "renewal", "pricing",
    "discount", "region", "growth", "decline", "target", "headcount", "capex", "opex", "cash", "flow", "risk",
    "treasury", "tax", "filing", "deadline", "board", "committee", "minutes", "action", "owner", "status",
    "project", "migration", "warehouse", "logistics", "shipment", "inventory", "order", "the", "the", "of", "and",
    "to", "for", "with", "in", "on", "was", "is", "will", "be", "by", "from", "per", "after", "before", "agreed",
];
const ACCOUNTS: &[&str] = &["1000 Cash", "1200 Receivables", "2000 Payables", "3000 Equity", "4000 Sales", "5000 Purchases", "6100 Rent", "6200 Salaries", "6300 Travel", "7000 Interest"];
const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const MODULES: &[&str] = &["billing", "auth", "scheduler", "export", "mailer", "api", "db.pool", "cache", "reports"];
const PATHS: &[&str] = &["/", "/products", "/products/42", "/cart", "/checkout", "/api/v1/orders", "/static/js/bundle-03.js", "/static/img/photo-17.jpg", "/login", "/search?q=lamp"];
const AGENTS: &[&str] = &["Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1)", "curl/8.5.0", "Googlebot/2.1"];
const TAGS: &[&str] = &["div", "section", "p", "li", "span", "article", "a"];

fn text_line(buf: &mut Vec<u8>, rng: &mut Rng, kind: Kind, line: u64, flavour: &str) {
    let (day, secs) = (1 + rng.below(28), rng.below(86_400));
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match kind {
        Kind::Ledger => {
            let amount = rng.below(2_000_000) as f64 / 100.0;
            let _ = writeln!(buf, "2026-11-{day:02},{},REF-{:06},{} {} {},{amount:.2}", rng.pick(ACCOUNTS), rng.below(1_000_000), rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS));
        }
        Kind::AppLog => {
            let _ = writeln!(buf, "2026-11-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z {:5} [{}] {flavour}: {} {} {} id={} took={}ms", rng.below(1000), rng.pick(LEVELS), rng.pick(MODULES), rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS), rng.below(100_000), rng.below(900));
        }
        Kind::AccessLog => {
            let ip = rng.next();
            let _ = writeln!(
                buf,
                "10.{}.{}.{} - - [{day:02}/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"GET {} HTTP/1.1\" {} {} \"-\" \"{}\"",
                ip & 0xff, (ip >> 8) & 0xff, (ip >> 16) & 0xff,
                rng.pick(PATHS), if rng.below(20) == 0 { 404 } else { 200 }, rng.below(200_000), rng.pick(AGENTS)
            );
        }
        Kind::Markup => {
            let tag = rng.pick(TAGS);
            let _ = writeln!(buf, "  <{tag} class=\"c{}\">{} {} {} {}</{tag}>", rng.below(40), rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS));
        }
        Kind::Document | Kind::Binary(_) => {
            if line % 12 == 0 {
                let _ = writeln!(buf, "\n{}. {} {}", line / 12 + 1, rng.pick(WORDS), rng.pick(WORDS));
            }
            for _ in 0..12 + rng.below(6) {
                buf.extend_from_slice(rng.pick(WORDS).as_bytes());
                buf.push(b' ');
            }
            buf.extend_from_slice(b"\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_trees_are_tens_of_mib_deterministic_and_partly_incompressible() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let started = std::time::Instant::now();
        let size = write_tree(a.path(), "finance-fileserver").unwrap();
        eprintln!("finance tree: {size} bytes in {:?}", started.elapsed());
        assert!((40 * MIB as u64..60 * MIB as u64).contains(&size), "{size}");
        assert_eq!(write_tree(b.path(), "finance-fileserver").unwrap(), size);
        let ledger = Path::new("ledgers/general-ledger-2026-03.csv");
        assert_eq!(std::fs::read(a.path().join(ledger)).unwrap(), std::fs::read(b.path().join(ledger)).unwrap());
        let pdf = std::fs::read(a.path().join("contracts/contract-01.pdf")).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert!(zstd::encode_all(&pdf[..], 3).unwrap().len() > pdf.len() * 99 / 100, "blobs do not compress");
        let csv = std::fs::read(a.path().join(ledger)).unwrap();
        assert!(zstd::encode_all(&csv[..], 3).unwrap().len() < csv.len() / 2, "text compresses");
        let web = write_tree(a.path().join("web").as_path(), "web-01").unwrap();
        assert!((30 * MIB as u64..50 * MIB as u64).contains(&web), "{web}");
    }
}
