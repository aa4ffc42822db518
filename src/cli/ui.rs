//! What the command says on stderr besides its results, and in which colours: one setting for
//! the whole process, from `--color`, `NO_COLOR`, `-q` and `-v`. Results go to stdout in every
//! format; warnings, progress and notes go to stderr, and only errors are left with `-q`.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// When the stream is a terminal and NO_COLOR is unset or empty.
    #[default]
    Auto,
    Always,
    Never,
}

/// The process's settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ui {
    pub color: ColorWhen,
    /// `-q`: errors only.
    pub quiet: bool,
    /// `-v` once or more: notes on what was read and how long it took.
    pub verbose: u8,
}

static UI: OnceLock<Ui> = OnceLock::new();

/// Sets the process's settings (once, at start-up).
pub fn set(ui: Ui) {
    let _ = UI.set(ui);
}

fn get() -> Ui {
    UI.get().copied().unwrap_or_default()
}

/// Whether text for a stream that `is_terminal` says is (or is not) a terminal is coloured.
pub fn colour(is_terminal: bool) -> bool {
    match get().color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => is_terminal && !no_color(),
    }
}

/// `NO_COLOR` set to something (https://no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The clap colour choice for help and usage errors.
pub fn clap_color(when: ColorWhen) -> clap::ColorChoice {
    match when {
        ColorWhen::Always => clap::ColorChoice::Always,
        ColorWhen::Never => clap::ColorChoice::Never,
        ColorWhen::Auto if no_color() => clap::ColorChoice::Never,
        ColorWhen::Auto => clap::ColorChoice::Auto,
    }
}

/// Whether warnings and progress are shown (not `-q`).
pub fn chatty() -> bool {
    !get().quiet
}

/// A warning on stderr (not with `-q`).
pub fn warn(message: &str) {
    if chatty() {
        let prefix = if colour(std::io::stderr().is_terminal()) {
            "\x1b[33mwarning:\x1b[0m"
        } else {
            "warning:"
        };
        eprintln!("{prefix} {message}");
    }
}

/// A note on stderr, with `-v` only.
pub fn note(message: &str) {
    if get().verbose > 0 && !get().quiet {
        eprintln!("patchscan: {message}");
    }
}
