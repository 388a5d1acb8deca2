//! `kumbu`: see `kumbu --help`.

use clap::Parser;

/// mimalloc: about a tenth of the server's CPU went to glibc's allocator under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Every open connection is a file: a gateway holding thousands of operator calls (M-Pesa's
    // C2B) and a simulator answering them would hit a soft limit of 1,024 long before the
    // system's. Raise it to the hard limit, as Go's runtime does; failing that, go on.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!(
            "warning: could not raise the open-files limit ({e}); `ulimit -n` may cap connections"
        );
    }
    let cli = kumbu::cli::Cli::parse();
    match kumbu::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
