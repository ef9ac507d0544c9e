//! The rubric: how many points each check is worth, and what a run scores (pure).
//!
//! A TOML file, so that an instructor can read and change it: points per check id or per
//! prefix (`"http."`: every check whose id starts so; the longest key that matches wins),
//! bonus points per part done, and the share of a check's points a warning earns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::{Part, Verdict};

/// The default rubric, as `grade --print-rubric` prints it: the assignment's parts first
/// (part 1 is two thirds of the grade), then HTTP/1.1 beyond it.
pub const DEFAULT_RUBRIC: &str = r#"# httplab grade's rubric (the default one): points per check.
#
# A key is a check id ("assignment.get") or a prefix ending in "." ("http." is every check
# whose id starts with "http."); when several keys match a check, the longest one wins.
# A check that no key matches is worth 0 points. `httplab check --list` lists the ids.
# The maximum is the sum over the checks that were run: the client's checks count only
# when grade is given --client-run.

# A check that fails at level "should" is a warning: it earns this share of its points.
warn_share = 0.5

[points]
# Part 1 — the web server (62 points): the file, the 404, the message format of chapter 2.
"assignment.get" = 20
"assignment.not-found" = 10
"wire.binary" = 4
"wire.status-line" = 4
"wire.crlf" = 4
"wire.content-length" = 4
"wire.content-type" = 2
"wire.reason" = 1
"wire.segments" = 1
"http.connection-close" = 2
"security.traversal" = 4
"robust.split-request" = 3
"robust.large-head" = 1
"robust.empty-connection" = 2

# Part 2 — the multithreaded server (16 points).
"assignment.concurrent" = 8
"assignment.parallel" = 8

# Beyond the assignment — HTTP/1.1 as the RFCs state it (22 points, one per check).
"wire.date" = 1
"http." = 1
"robust." = 1

# Part 3 — the client (2 points per check, with --client-run).
"client." = 2

# Extra points when every check of a part passes (one, two, three, beyond).
[parts]
"#;

/// A parsed rubric.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    #[serde(default = "half")]
    pub warn_share: f64,
    #[serde(default)]
    pub points: BTreeMap<String, f64>,
    #[serde(default)]
    pub parts: BTreeMap<String, f64>,
}

fn half() -> f64 {
    0.5
}

/// One check as a run left it, what the rubric needs to score it.
#[derive(Clone, Copy, Debug)]
pub struct CheckVerdict<'a> {
    pub id: &'a str,
    pub part: Part,
    pub verdict: Verdict,
}

/// What one check earned.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckScore {
    pub id: String,
    pub verdict: Verdict,
    pub points: f64,
    pub max: f64,
}

/// A student's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    pub points: f64,
    pub max: f64,
    pub checks: Vec<CheckScore>,
    /// The part bonuses earned, by part name.
    pub bonuses: BTreeMap<String, f64>,
}

impl Rubric {
    /// Parses a rubric and checks every key against the known check ids (`known`), so a
    /// typo is an error and not a silent zero.
    pub fn parse(text: &str, known: &[&str]) -> Result<Rubric, String> {
        let rubric: Rubric = toml::from_str(text).map_err(|e| e.to_string())?;
        for (key, points) in &rubric.points {
            if !known.iter().any(|id| matches(key, id)) {
                return Err(format!("no check has the id or prefix \"{key}\""));
            }
            if !points.is_finite() || *points < 0.0 {
                return Err(format!("\"{key}\" = {points}: points are a number ≥ 0"));
            }
        }
        for (part, points) in &rubric.parts {
            if part_named(part).is_none() {
                return Err(format!(
                    "[parts] \"{part}\": the parts are one, two, three and beyond"
                ));
            }
            if !points.is_finite() || *points < 0.0 {
                return Err(format!("[parts] \"{part}\" = {points}: a number ≥ 0"));
            }
        }
        if !(0.0..=1.0).contains(&rubric.warn_share) {
            return Err(format!("warn_share = {}: from 0 to 1", rubric.warn_share));
        }
        Ok(rubric)
    }

    /// The default rubric, parsed.
    pub fn default_rubric(known: &[&str]) -> Rubric {
        Rubric::parse(DEFAULT_RUBRIC, known).expect("the default rubric parses")
    }

    /// The points `id` is worth: the longest matching key's.
    pub fn worth(&self, id: &str) -> f64 {
        self.points
            .iter()
            .filter(|(key, _)| matches(key, id))
            .max_by_key(|(key, _)| key.len())
            .map_or(0.0, |(_, points)| *points)
    }

    /// Scores a run: each check's points by its verdict, plus the bonus of each part whose
    /// every check passed.
    pub fn score(&self, checks: &[CheckVerdict]) -> Score {
        let mut scored = Vec::new();
        for check in checks {
            let max = self.worth(check.id);
            let points = match check.verdict {
                Verdict::Pass => max,
                Verdict::Warn => max * self.warn_share,
                Verdict::Fail | Verdict::Skip => 0.0,
            };
            scored.push(CheckScore {
                id: check.id.to_string(),
                verdict: check.verdict,
                points,
                max,
            });
        }
        let mut bonuses = BTreeMap::new();
        let mut bonus_max = 0.0;
        for (name, bonus) in &self.parts {
            let Some(part) = part_named(name) else {
                continue;
            };
            let of_part: Vec<&CheckVerdict> = checks.iter().filter(|c| c.part == part).collect();
            if of_part.is_empty() {
                continue;
            }
            bonus_max += bonus;
            if of_part.iter().all(|c| c.verdict == Verdict::Pass) {
                bonuses.insert(name.clone(), *bonus);
            }
        }
        let points = scored.iter().map(|c| c.points).sum::<f64>() + bonuses.values().sum::<f64>();
        let max = scored.iter().map(|c| c.max).sum::<f64>() + bonus_max;
        Score {
            points: round(points),
            max: round(max),
            checks: scored,
            bonuses,
        }
    }
}

/// Whether a rubric key names this check: the same id, or a prefix ending in '.'.
fn matches(key: &str, id: &str) -> bool {
    key == id || (key.ends_with('.') && id.starts_with(key))
}

fn part_named(name: &str) -> Option<Part> {
    match name {
        "one" => Some(Part::One),
        "two" => Some(Part::Two),
        "three" => Some(Part::Three),
        "beyond" => Some(Part::Beyond),
        _ => None,
    }
}

/// Scores are shown with two decimals at most; sums of halves stay exact.
fn round(points: f64) -> f64 {
    (points * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["assignment.get", "http.head", "http.query", "client.crlf"];

    fn g(id: &str, part: Part, verdict: Verdict) -> CheckVerdict<'_> {
        CheckVerdict { id, part, verdict }
    }

    #[test]
    fn the_longest_key_wins_and_warnings_earn_their_share() {
        let rubric = Rubric::parse(
            "warn_share = 0.25\n[points]\n\"http.\" = 2\n\"http.head\" = 5\n\"assignment.get\" = 10\n",
            KNOWN,
        )
        .unwrap();
        assert_eq!(rubric.worth("http.head"), 5.0);
        assert_eq!(rubric.worth("http.query"), 2.0);
        assert_eq!(rubric.worth("client.crlf"), 0.0);
        let score = rubric.score(&[
            g("assignment.get", Part::One, Verdict::Pass),
            g("http.head", Part::Beyond, Verdict::Fail),
            g("http.query", Part::Beyond, Verdict::Warn),
        ]);
        assert_eq!((score.points, score.max), (10.5, 17.0));
    }

    #[test]
    fn a_part_bonus_needs_every_check_of_the_part() {
        let rubric = Rubric::parse(
            "[points]\n\"http.\" = 1\n[parts]\none = 3\nbeyond = 4\n",
            KNOWN,
        )
        .unwrap();
        let score = rubric.score(&[
            g("assignment.get", Part::One, Verdict::Pass),
            g("http.head", Part::Beyond, Verdict::Pass),
            g("http.query", Part::Beyond, Verdict::Warn),
        ]);
        assert_eq!(score.bonuses.get("one"), Some(&3.0));
        assert_eq!(score.bonuses.get("beyond"), None);
        assert_eq!((score.points, score.max), (4.5, 9.0));
    }

    #[test]
    fn typos_and_nonsense_are_errors() {
        let error = Rubric::parse("[points]\n\"assignment.gett\" = 1\n", KNOWN).unwrap_err();
        assert!(error.contains("assignment.gett"), "{error}");
        assert!(Rubric::parse("[points]\n\"http.\" = -1\n", KNOWN).is_err());
        assert!(Rubric::parse("[parts]\nfour = 1\n", KNOWN).is_err());
        assert!(Rubric::parse("warn_share = 2\n", KNOWN).is_err());
        assert!(Rubric::parse("points = 3\n", KNOWN).is_err());
        assert!(Rubric::parse("colour = 'red'\n", KNOWN).is_err());
    }

    #[test]
    fn the_default_rubric_is_100_points_for_the_server() {
        let ids: Vec<&str> = crate::check::catalogue::CHECKS
            .iter()
            .map(|c| c.check.id)
            .chain(
                crate::check::client::catalogue::CLIENT_CHECKS
                    .iter()
                    .map(|c| c.id),
            )
            .collect();
        let rubric = Rubric::default_rubric(&ids);
        let server: f64 = crate::check::catalogue::CHECKS
            .iter()
            .map(|c| rubric.worth(c.check.id))
            .sum();
        assert_eq!(server, 100.0);
        for check in crate::check::catalogue::CHECKS {
            assert!(
                rubric.worth(check.check.id) > 0.0,
                "{} is worth 0",
                check.check.id
            );
        }
    }
}
