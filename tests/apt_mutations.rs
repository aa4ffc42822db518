//! The apt and dpkg readers on corrupted input: thousands of byte-level mutations of real files
//! (a bed's Packages and Release, the real bookworm dpkg status, a .sources file) end in `Ok`
//! or in an error naming the file — never a panic.

mod common;

use std::path::Path;

use patchscan::apt_sources as sources;
use patchscan::host::dpkg;
use patchscan::repo::apt::{packages, release};

/// xorshift64*: reproducible mutations without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SPECIAL: &[u8] = b":\n \t\r#-~+.0\xff\xc3";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            break;
        }
        let at = rng.below(b.len());
        match rng.below(4) {
            0 => b[at] = SPECIAL[rng.below(SPECIAL.len())],
            1 => {
                b.remove(at);
            }
            2 => b.insert(at, SPECIAL[rng.below(SPECIAL.len())]),
            _ => b.truncate(at),
        }
    }
    b
}

fn check<T, E: std::fmt::Display>(name: &str, r: Result<T, E>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => {
            assert!(e.to_string().contains(name), "error without the file: {e}");
            false
        }
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let bed = common::apt::apt_bed("debian12");
    let pk =
        std::fs::read(bed.join("repos/debian/dists/bookworm/main/binary-amd64/Packages")).unwrap();
    let rel = std::fs::read(bed.join("repos/debian/dists/bookworm/Release")).unwrap();
    let status = std::fs::read(
        common::root().join("repodata-fixtures/apt-real/debian-bookworm/dpkg-status"),
    )
    .unwrap();
    let srcs = std::fs::read(bed.join("root/etc/apt/sources.list.d/debian.sources")).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0, 0);
    for i in 0..3_000 {
        let results = [
            check(
                "M-Packages",
                packages::parse_packages(&mutate(&mut rng, &pk), Path::new("M-Packages")),
            ),
            check(
                "M-Release",
                release::parse_release(&mutate(&mut rng, &rel), Path::new("M-Release")),
            ),
            check(
                "M-sources",
                sources::parse_deb822(&mutate(&mut rng, &srcs), Path::new("M-sources")),
            ),
            // The 670 KB status: every tenth round.
            i % 10 != 0
                || check(
                    "M-status",
                    dpkg::parse_status(&mutate(&mut rng, &status), Path::new("M-status")),
                ),
        ];
        for r in results {
            if r {
                ok += 1;
            } else {
                err += 1;
            }
        }
    }
    // Both outcomes occur: the mutations reach the checks.
    assert!(err > 1_000 && ok > 1_000, "ok {ok}, err {err}");
}
