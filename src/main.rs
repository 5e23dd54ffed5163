//! The `tcpexplain` command. Everything happens in [`tcpexplain::cli`].

fn main() {
    keep_heap_top();
    std::process::exit(tcpexplain::cli::run_with(
        std::env::args_os(),
        streams_at_start(),
    ));
}

/// Which standard streams were open when the program was loaded. Before
/// `main`, Rust's runtime opens `/dev/null` in place of a closed standard
/// stream, so that output to a closed one would seem to succeed: they are
/// looked at before that, by a function the loader runs first.
#[cfg(target_os = "linux")]
fn streams_at_start() -> tcpexplain::cli::Streams {
    use std::sync::atomic::Ordering;
    tcpexplain::cli::Streams {
        stdin_open: !loaded::STDIN_CLOSED.load(Ordering::Relaxed),
        stdout_open: !loaded::STDOUT_CLOSED.load(Ordering::Relaxed),
    }
}

#[cfg(not(target_os = "linux"))]
fn streams_at_start() -> tcpexplain::cli::Streams {
    tcpexplain::cli::Streams::now()
}

#[cfg(target_os = "linux")]
mod loaded {
    use std::sync::atomic::{AtomicBool, Ordering};

    pub static STDIN_CLOSED: AtomicBool = AtomicBool::new(false);
    pub static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

    extern "C" fn look() {
        STDIN_CLOSED.store(!tcpexplain::cli::is_open(0), Ordering::Relaxed);
        STDOUT_CLOSED.store(!tcpexplain::cli::is_open(1), Ordering::Relaxed);
    }

    // SAFETY: the loader calls the functions of `.init_array` once, before
    // `main`, on the one thread there is; `look` only asks the kernel about
    // two descriptors and stores two flags.
    #[allow(unsafe_code)]
    #[used]
    #[link_section = ".init_array"]
    static LOOK: extern "C" fn() = look;
}

/// glibc gives the top of its heap back to the system whenever 128 KiB of it
/// are free. The look-ahead's lines come and go in waves that cross that mark
/// every few dozen lines, and each time the memory is taken again it costs page
/// faults: about 25,000 per million lines of a bulk transfer, 7% of the time
/// `--format jsonl` takes. Keeping up to 64 MiB free at the top stops that;
/// the peak is unchanged.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_heap_top() {
    // SAFETY: mallopt only sets a tuning parameter of the allocator, and no
    // other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_heap_top() {}
