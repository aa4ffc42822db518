//! The `patchscan` command: the command line (`cli`) over the library.

mod cli;

// mimalloc: glibc's per-thread arenas grow page by page (one mprotect each, thousands per scan).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The bundled mimalloc's option setter (mimalloc.h). `mi_option_purge_delay` is entry 15 of
// its `mi_option_e` in both bundled versions (v2 and v3).
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() {
    // Freed memory is kept rather than handed back to the kernel 10 ms later: a fleet run
    // allocates and frees gigabytes in batches, and every purged page came back as a fresh
    // page fault (a third of the system time). The peak, which is what a run holds, is the
    // same. MIMALLOC_PURGE_DELAY in the environment still wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain option store, before any other thread exists.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    // Behave like other Unix tools when the reader of stdout goes away (`| head`).
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        // Past `ulimit -f` a write fails with EFBIG, which names the file, instead of the
        // process dying of SIGXFSZ without a word.
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    std::process::exit(cli::run());
}
