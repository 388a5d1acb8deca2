//! `kumbu`: see `kumbu --help`.

use clap::Parser;

/// mimalloc: about a tenth of the server's CPU went to glibc's allocator under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = kumbu::cli::Cli::parse();
    match kumbu::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
