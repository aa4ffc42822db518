//! The differential version corpus: real versions (tests/data/versions, extracted from real
//! indexes, databases and advisories) paired with each other and with generated tricky
//! variants. Deterministic: the same seed gives the same pairs.

use std::io::Read;

/// A small deterministic PRNG (SplitMix64): the corpus must not depend on a crate's RNG.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn digits(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        s.push(char::from(b'1' + (self.below(9) as u8)));
        for _ in 1..n {
            s.push(char::from(b'0' + (self.below(10) as u8)));
        }
        s
    }
}

/// Reads a committed `.txt.xz` version list.
pub fn read_list(name: &str) -> Vec<String> {
    let path = super::root().join("tests/data/versions").join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    liblzma::read::XzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Which package manager's versions to generate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scheme {
    Rpm,
    Deb,
}

/// Hand-picked edge cases of the kinds rpm's and dpkg's own test suites document.
fn edge_cases(scheme: Scheme) -> Vec<(&'static str, &'static str)> {
    match scheme {
        Scheme::Rpm => vec![
            ("1.0", "1.0"),
            ("1.0", "2.0"),
            ("2.0", "1.0"),
            ("2.0.1", "2.0.1"),
            ("2.0", "2.0.1"),
            ("2.0.1a", "2.0.1a"),
            ("2.0.1a", "2.0.1"),
            ("5.5p1", "5.5p1"),
            ("5.5p1", "5.5p2"),
            ("5.5p10", "5.5p10"),
            ("5.5p1", "5.5p10"),
            ("10xyz", "10.1xyz"),
            ("xyz10", "xyz10"),
            ("xyz10", "xyz10.1"),
            ("xyz.4", "xyz.4"),
            ("xyz.4", "8"),
            ("xyz.4", "2"),
            ("5.5p2", "5.6p1"),
            ("5.6p1", "6.5p1"),
            ("6.0.rc1", "6.0"),
            ("10b2", "10a1"),
            ("1.0aa", "1.0aa"),
            ("1.0a", "1.0aa"),
            ("10.0001", "10.0001"),
            ("10.0001", "10.1"),
            ("10.0001", "10.0039"),
            ("4.999.9", "5.0"),
            ("20101121", "20101121"),
            ("20101121", "20101122"),
            ("2_0", "2_0"),
            ("2.0", "2_0"),
            ("a", "a"),
            ("a+", "a+"),
            ("a+", "a_"),
            ("+a", "+a"),
            ("+a", "_a"),
            ("+_", "+_"),
            ("_+", "+_"),
            ("_+", "_"),
            ("+", "_"),
            ("1.0~rc1", "1.0~rc1"),
            ("1.0~rc1", "1.0"),
            ("1.0~rc1", "1.0~rc2"),
            ("1.0~rc1~git123", "1.0~rc1~git123"),
            ("1.0~rc1~git123", "1.0~rc1"),
            ("1.0^", "1.0^"),
            ("1.0^", "1.0"),
            ("1.0", "1.0git1^"),
            ("1.0^git1", "1.0"),
            ("1.0^git1", "1.01"),
            ("1.0^20160101", "1.0^20160101"),
            ("1.0^20160101", "1.0.1"),
            ("1.0^20160102", "1.0^20160101"),
            ("1.0~rc1^git1", "1.0~rc1^git1"),
            ("1.0^git1~pre", "1.0^git1"),
            ("1.0^git1", "1.0^git1~pre"),
            ("1.0~rc1^git1", "1.0~rc1"),
            ("1.0^git1~pre", "1.0^git1~pre"),
            ("1:1.0-1", "1.0-1"),
            ("0:1.0-1", "1.0-1"),
            ("1.0-1", "1.0"),
            ("1.0", "1.0-0"),
        ],
        Scheme::Deb => vec![
            ("1.0", "1.0"),
            ("1.0", "1.0-0"),
            ("1.0-0", "1.0"),
            ("1:1.0", "1.0"),
            ("0:1.0", "1.0"),
            ("1.0~rc1", "1.0"),
            ("1.0~~", "1.0~"),
            ("1.0~~a", "1.0~~"),
            ("1.0~", "1.0"),
            ("1.0a", "1.0"),
            ("1.0a", "1.0+"),
            ("1.0+", "1.0."),
            ("1.0.", "1.0+"),
            ("1.0-1", "1.0-1.1"),
            ("1.0-1+b1", "1.0-1"),
            ("2.30-1", "2.30-1+deb12u1"),
            ("1.2-1ubuntu1", "1.2-1"),
            ("1.2-1ubuntu0.1", "1.2-1"),
            ("1.2-1~bpo12+1", "1.2-1"),
            ("1.2-1build1", "1.2-1ubuntu1"),
            ("1.01", "1.1"),
            ("1.001", "1.01"),
            ("1.0-01", "1.0-1"),
            ("7.6p2-4", "7.6-0"),
            ("1.0.3-3", "1.0-1"),
            ("1.3", "1.2.2-2"),
            ("1.3", "1.2.2"),
            ("0-pre", "0-pre"),
            ("0-pre", "0-pree"),
            ("1.1.6r2-2", "1.1.6r-1"),
            ("2.6b2-1", "2.6b-2"),
            ("98.1p5-1", "98.1-pre2-b6-2"),
            ("0.4a6-2", "0.4-1"),
            ("1:3.0.5-2", "1:3.0.5.1"),
            ("10.3", "1:0.4"),
            ("1:1.25-4", "1:1.25-8"),
            ("0:1.18.36", "1.18.36"),
            ("1.18.36", "1.18.35"),
            ("0:1.18.36", "1.18.35"),
            ("9:1.18.36:5.4-20", "10:0.5.1-22"),
            ("9:1.18.36:5.4-20", "9:1.18.36:5.5-1"),
            ("9:1.18.36:5.4-20", " 9:1.18.37:4.3-22"),
            ("1.18.36-0.17.35-18", "1.18.36-19"),
            ("1:1.2.13-3", "1:1.2.13-3.1"),
            ("2.0.7pre1-4", "2.0.7r-1"),
            ("0:0-0-0", "0-0"),
            ("0:0:0-0", "0:0-0"),
            ("0:0:0:0-0", "0:0:0-0"),
        ],
    }
}

/// Splits a version into (epoch prefix incl. ':', rest).
fn split_epoch(v: &str) -> (&str, &str) {
    match v.find(':') {
        Some(i) if v[..i].bytes().all(|b| b.is_ascii_digit()) && i > 0 => (&v[..=i], &v[i + 1..]),
        _ => ("", v),
    }
}

/// Byte ranges of the digit runs in `s`.
fn digit_runs(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// A variant of `v` likely to compare in an interesting way against `v`.
fn mutate(v: &str, scheme: Scheme, rng: &mut Rng) -> String {
    let (epoch, rest) = split_epoch(v);
    let (upstream, revision) = match rest.rfind('-') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let join = |e: &str, u: &str, r: Option<&str>| match r {
        Some(r) => format!("{e}{u}-{r}"),
        None => format!("{e}{u}"),
    };
    let kinds = if scheme == Scheme::Rpm { 12 } else { 11 };
    match rng.below(kinds) {
        0 => {
            // Bump or lower one number.
            let runs = digit_runs(rest);
            if runs.is_empty() {
                return format!("{v}.1");
            }
            let (s, e) = *rng.pick(&runs);
            let n: u128 = rest[s..e].parse().unwrap_or(0);
            let m = if n > 0 && rng.chance(50) {
                n - 1
            } else {
                n + 1
            };
            format!("{epoch}{}{m}{}", &rest[..s], &rest[e..])
        }
        1 => {
            let tail = rng.pick(&["~rc1", "~", "~~", "~beta2", "~0", "~rc1~git5"]);
            join(epoch, &format!("{upstream}{tail}"), revision)
        }
        2 => {
            let tail = rng.pick(&[".1", "a", "p1", "+1", ".0", "b", "z9"]);
            join(epoch, &format!("{upstream}{tail}"), revision)
        }
        3 => {
            // Epoch: add, change or drop.
            let e = rng.below(4);
            if epoch.is_empty() || rng.chance(60) {
                format!("{e}:{rest}")
            } else {
                rest.to_string()
            }
        }
        4 => {
            // Leading zeros on one number.
            let runs = digit_runs(upstream);
            if runs.is_empty() {
                return format!("{v}0");
            }
            let (s, _) = *rng.pick(&runs);
            let zeros = rng.pick(&["0", "00", "000"]);
            join(
                epoch,
                &format!("{}{zeros}{}", &upstream[..s], &upstream[s..]),
                revision,
            )
        }
        5 => {
            // A number longer than 20 digits.
            let runs = digit_runs(upstream);
            let len = 21 + rng.below(12);
            let big = rng.digits(len);
            match runs.first() {
                Some(&(s, e)) if rng.chance(50) => join(
                    epoch,
                    &format!("{}{big}{}", &upstream[..s], &upstream[e..]),
                    revision,
                ),
                _ => join(epoch, &format!("{upstream}.{big}"), revision),
            }
        }
        6 => {
            // Revision/release changes.
            match revision {
                Some(r) => {
                    let tails: &[&str] = if scheme == Scheme::Rpm {
                        &[".1", "_1", "~1", ".el9", ".amzn2023.0.1", ""]
                    } else {
                        &[
                            "+b1",
                            "+deb12u1",
                            "ubuntu1",
                            "ubuntu0.1",
                            "~bpo12+1",
                            ".1",
                            "build1",
                        ]
                    };
                    let t = rng.pick(tails);
                    if t.is_empty() {
                        join(epoch, upstream, None)
                    } else {
                        join(epoch, upstream, Some(&format!("{r}{t}")))
                    }
                }
                None => join(
                    epoch,
                    upstream,
                    Some(*rng.pick(&["1", "0", "0.1", "1ubuntu1"])),
                ),
            }
        }
        7 => {
            // Letters against numbers.
            let runs = digit_runs(upstream);
            match runs.last() {
                Some(&(s, e)) => {
                    let l = rng.pick(&["a", "rc", "Z", "beta"]);
                    join(
                        epoch,
                        &format!("{}{l}{}", &upstream[..s], &upstream[e..]),
                        revision,
                    )
                }
                None => join(epoch, &format!("{upstream}1"), revision),
            }
        }
        8 => {
            // Drop the last component.
            match upstream.rfind(['.', '+', '~']) {
                Some(i) if i > 0 => join(epoch, &upstream[..i], revision),
                _ => join(epoch, upstream, revision),
            }
        }
        9 => {
            // Separator change (equal for rpm, ordered for dpkg).
            let from = rng.pick(&['.', '+']);
            let to = if scheme == Scheme::Rpm {
                *rng.pick(&['_', '.', '+'])
            } else {
                *rng.pick(&['.', '+', '~'])
            };
            join(
                epoch,
                &upstream.replacen(*from, &to.to_string(), 1),
                revision,
            )
        }
        10 => {
            // Two long numbers differing late.
            let big = rng.digits(22);
            join(epoch, &format!("{upstream}.{big}"), revision)
        }
        _ => {
            // rpm only: caret (post-release snapshot).
            let tail = rng.pick(&["^", "^git1", "^20240101git3", "^1~pre", "^a"]);
            join(epoch, &format!("{upstream}{tail}"), revision)
        }
    }
}

/// A variant that the package manager should treat as equal to `v`.
fn equal_variant(v: &str, scheme: Scheme, rng: &mut Rng) -> String {
    let (epoch, rest) = split_epoch(v);
    match rng.below(4) {
        0 => v.to_string(),
        1 => {
            if epoch.is_empty() {
                format!("0:{rest}")
            } else if epoch == "0:" {
                rest.to_string()
            } else {
                format!("0{v}")
            }
        }
        2 => {
            let runs = digit_runs(rest);
            match runs.first() {
                Some(&(s, _)) => format!("{epoch}{}0{}", &rest[..s], &rest[s..]),
                None => v.to_string(),
            }
        }
        _ => {
            if scheme == Scheme::Rpm {
                format!("{epoch}{}", rest.replacen('.', "_", 1))
            } else if !rest.contains('-') {
                format!("{v}-0")
            } else {
                v.to_string()
            }
        }
    }
}

/// The corpus: at least `target` pairs.
pub fn generate(scheme: Scheme, target: usize, seed: u64) -> Vec<(String, String)> {
    let real = read_list(match scheme {
        Scheme::Rpm => "rpm-evrs.txt.xz",
        Scheme::Deb => "deb-versions.txt.xz",
    });
    assert!(real.len() > 100, "version list too small: {}", real.len());
    let mut rng = Rng::new(seed);
    let mut pairs: Vec<(String, String)> = edge_cases(scheme)
        .into_iter()
        .flat_map(|(a, b)| {
            [
                (a.to_string(), b.to_string()),
                (b.to_string(), a.to_string()),
            ]
        })
        .filter(|(a, b)| !a.starts_with(' ') && !b.starts_with(' '))
        .collect();
    while pairs.len() < target {
        let v = rng.pick(&real).clone();
        let pair = match rng.below(20) {
            0..=4 => (v, rng.pick(&real).clone()),
            5..=11 => {
                let w = mutate(&v, scheme, &mut rng);
                if rng.chance(50) {
                    (v, w)
                } else {
                    (w, v)
                }
            }
            12..=15 => {
                let a = mutate(&v, scheme, &mut rng);
                let b = mutate(&v, scheme, &mut rng);
                (a, b)
            }
            _ => {
                let a = if rng.chance(50) {
                    mutate(&v, scheme, &mut rng)
                } else {
                    v
                };
                let b = equal_variant(&a, scheme, &mut rng);
                (a, b)
            }
        };
        pairs.push(pair);
    }
    pairs
}

/// Per-feature pair counts, so a test can assert the corpus is not trivial.
#[derive(Debug, Default)]
pub struct Features {
    pub tilde: usize,
    pub caret: usize,
    pub epoch: usize,
    pub leading_zero: usize,
    pub long_number: usize,
}

pub fn features(pairs: &[(String, String)]) -> Features {
    let mut f = Features::default();
    let leading_zero = |s: &str| {
        digit_runs(s)
            .iter()
            .any(|&(a, b)| b - a > 1 && s.as_bytes()[a] == b'0')
    };
    let long = |s: &str| digit_runs(s).iter().any(|&(a, b)| b - a > 20);
    for (a, b) in pairs {
        let both = |p: &dyn Fn(&str) -> bool| p(a) || p(b);
        f.tilde += usize::from(both(&|s| s.contains('~')));
        f.caret += usize::from(both(&|s| s.contains('^')));
        f.epoch += usize::from(both(&|s| !split_epoch(s).0.is_empty()));
        f.leading_zero += usize::from(both(&leading_zero));
        f.long_number += usize::from(both(&long));
    }
    f
}
