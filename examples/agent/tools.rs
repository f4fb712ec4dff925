//! The agent's tools: a calculator, a clock and a table of chemical elements,
//! each a plain fn marked `#[tool]`, whose schema the model is sent.

use std::time::{SystemTime, UNIX_EPOCH};

use graphai::{ToolSet, Value, json, tool};

#[path = "../support/calc.rs"]
mod calc;

/// The example's tools, in the order the model is shown them.
pub fn tools() -> ToolSet {
    ToolSet::new().add(calculate).add(clock).add(element)
}

/// Evaluates an arithmetic expression exactly. Use it for any calculation.
///
/// # Arguments
/// * `expression` - Numbers, `+ - * /` and parentheses, such as `12 * (3 + 4.5)`.
#[tool]
pub fn calculate(expression: String) -> Result<f64, String> {
    calc::evaluate(&expression).ok_or_else(|| {
        format!(
            "`{expression}` is not an expression this calculator reads: use numbers, + - * / and parentheses, with a finite result"
        )
    })
}

/// The current date and time in UTC, such as `2025-03-14T15:09:26Z (Friday)`.
#[tool]
pub fn clock() -> String {
    // A clock set before 1970 reads as 1970.
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    utc_text(seconds)
}

/// Facts about a chemical element: symbol, atomic number and atomic mass.
#[tool]
pub fn element(
    /// The element's English name or its symbol, such as `iron` or `Fe`.
    name: String,
) -> Result<Value, String> {
    let wanted = name.trim();
    ELEMENTS
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(wanted) || e.symbol.eq_ignore_ascii_case(wanted))
        .map(|e| json!({ "name": e.name, "symbol": e.symbol, "number": e.number, "mass": e.mass }))
        .ok_or_else(|| {
            let known: Vec<&str> = ELEMENTS.iter().map(|e| e.name).collect();
            format!(
                "no element `{wanted}` in the table; it knows {}",
                known.join(", ")
            )
        })
}

/// One row of the element table.
struct Element {
    name: &'static str,
    symbol: &'static str,
    number: u8,
    /// Standard atomic weight (IUPAC, abridged).
    mass: f64,
}

const fn e(name: &'static str, symbol: &'static str, number: u8, mass: f64) -> Element {
    Element {
        name,
        symbol,
        number,
        mass,
    }
}

/// The first twenty elements and a few well-known heavier ones.
const ELEMENTS: &[Element] = &[
    e("hydrogen", "H", 1, 1.008),
    e("helium", "He", 2, 4.0026),
    e("lithium", "Li", 3, 6.94),
    e("beryllium", "Be", 4, 9.0122),
    e("boron", "B", 5, 10.81),
    e("carbon", "C", 6, 12.011),
    e("nitrogen", "N", 7, 14.007),
    e("oxygen", "O", 8, 15.999),
    e("fluorine", "F", 9, 18.998),
    e("neon", "Ne", 10, 20.180),
    e("sodium", "Na", 11, 22.990),
    e("magnesium", "Mg", 12, 24.305),
    e("aluminium", "Al", 13, 26.982),
    e("silicon", "Si", 14, 28.085),
    e("phosphorus", "P", 15, 30.974),
    e("sulfur", "S", 16, 32.06),
    e("chlorine", "Cl", 17, 35.45),
    e("argon", "Ar", 18, 39.95),
    e("potassium", "K", 19, 39.098),
    e("calcium", "Ca", 20, 40.078),
    e("iron", "Fe", 26, 55.845),
    e("copper", "Cu", 29, 63.546),
    e("silver", "Ag", 47, 107.87),
    e("gold", "Au", 79, 196.97),
    e("mercury", "Hg", 80, 200.59),
    e("lead", "Pb", 82, 207.2),
    e("uranium", "U", 92, 238.03),
];

const WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

/// `seconds` after the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ (Weekday)`, in the
/// proleptic Gregorian calendar.
fn utc_text(seconds: u64) -> String {
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z ({})",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        // 1970-01-01 was a Thursday.
        WEEKDAYS[(days % 7) as usize],
    )
}

/// The date `days` after 1970-01-01: Howard Hinnant's `civil_from_days`, for
/// days on or after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01, so that leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_reads_known_instants() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z (Thursday)");
        // The last second of a leap day, and the first of the day after.
        assert_eq!(utc_text(951_868_799), "2000-02-29T23:59:59Z (Tuesday)");
        assert_eq!(utc_text(951_868_800), "2000-03-01T00:00:00Z (Wednesday)");
        assert_eq!(utc_text(1_700_000_000), "2023-11-14T22:13:20Z (Tuesday)");
        // 2100 is not a leap year: February has 28 days.
        assert_eq!(utc_text(4_107_542_399), "2100-02-28T23:59:59Z (Sunday)");
        assert_eq!(utc_text(4_107_542_400), "2100-03-01T00:00:00Z (Monday)");
        assert_eq!(utc_text(253_402_300_799), "9999-12-31T23:59:59Z (Friday)");
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_one_before() {
        // Walking day by day from the epoch, each date is the next of the last.
        let month_length = |year: u64, month: u64| match month {
            2 if (year.is_multiple_of(4) && !year.is_multiple_of(100))
                || year.is_multiple_of(400) =>
            {
                29
            }
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut expected = (1970, 1, 1);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), expected, "day {days}");
            let (year, month, day) = expected;
            expected = if day < month_length(year, month) {
                (year, month, day + 1)
            } else if month < 12 {
                (year, month + 1, 1)
            } else {
                (year + 1, 1, 1)
            };
        }
    }

    #[test]
    fn the_clock_reads_now() {
        let text = clock::call();
        let year: u64 = text[..4].parse().expect("a year first");
        assert!(year >= 2025, "{text}");
        assert!(text.ends_with("day)"), "{text}");
    }

    #[test]
    fn elements_are_found_by_name_or_symbol() {
        let iron = element::call("Iron".into()).expect("iron is in the table");
        assert_eq!(
            iron,
            json!({ "name": "iron", "symbol": "Fe", "number": 26, "mass": 55.845 })
        );
        assert_eq!(element::call(" fe ".into()), Ok(iron));
        let err = element::call("kryptonite".into()).unwrap_err();
        assert!(
            err.starts_with("no element `kryptonite` in the table; it knows hydrogen, helium,"),
            "{err}"
        );
        assert!(err.ends_with("lead, uranium"), "{err}");
    }

    #[test]
    fn the_calculator_says_what_it_reads() {
        assert_eq!(calculate::call("12 * (3 + 4.5)".into()), Ok(90.0));
        assert_eq!(
            calculate::call("two plus two".into()).unwrap_err(),
            "`two plus two` is not an expression this calculator reads: use numbers, + - * / and parentheses, with a finite result"
        );
    }
}
