//! `dialogs`: the server binary.

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::config::{Config, DemoMode};
use server::pgcluster::PrivateCluster;
use server::startup::{self, Application};
use server::{demo, telemetry};

/// The password of every demo user.
const DEMO_PASSWORD: &str = "dialogs-demo";

#[derive(Parser)]
#[command(
    name = "dialogs",
    about = "Dialogs: every client conversation in one inbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Seed the demo account "Demo" into a database that has none.
    Demo,
    /// Create a user (and the account, if it does not exist).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, value_parser = ["owner", "admin", "supervisor", "operator"])]
        role: String,
        #[arg(long, default_value = "Main")]
        account: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a REST API token acting as the user with this email; prints it once (only its
    /// hash is stored).
    CreateToken {
        #[arg(long)]
        email: String,
        /// What the token is for, to tell tokens apart when revoking.
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// Revoke the REST API tokens of the user with this email (only those named NAME, when
    /// given).
    RevokeToken {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Play a client writing to a Telegram channel (the demo's by default): type messages,
    /// see the operators' replies.
    FakeClient {
        /// The Telegram channel's id (default: the demo account's Telegram channel).
        #[arg(long)]
        channel: Option<i64>,
        /// Where the app runs.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        app: String,
        /// The client's Telegram chat id; another id is another client.
        #[arg(long, default_value_t = 777_000)]
        chat: i64,
        /// The client's name.
        #[arg(long, default_value = "Test Client")]
        name: String,
    },
}

#[tokio::main]
async fn main() {
    telemetry::init();
    if let Err(err) = run().await {
        eprintln!("dialogs: {err:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    let cluster = match &config.database_url {
        Some(_) => None,
        None => Some(PrivateCluster::start(&config.data_dir).await?),
    };
    let url = match (&config.database_url, &cluster) {
        (Some(url), _) => url.clone(),
        (None, Some(cluster)) => cluster.url(),
        (None, None) => unreachable!("a cluster is started when DATABASE_URL is unset"),
    };
    let result = run_command(
        cli.command.unwrap_or(Command::Serve),
        &config,
        &url,
        cluster.as_ref(),
    )
    .await;
    if let Some(cluster) = &cluster {
        cluster.stop();
    }
    result
}

async fn run_command(
    command: Command,
    config: &Config,
    url: &str,
    cluster: Option<&PrivateCluster>,
) -> anyhow::Result<()> {
    let pool = startup::connect(url).await?;
    startup::migrate(&pool).await?;
    match command {
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => seed_demo(&pool).await,
        Command::FakeClient {
            channel,
            app,
            chat,
            name,
        } => {
            server::fake_client::run(
                &pool,
                server::fake_client::FakeClient {
                    channel,
                    app,
                    chat,
                    name,
                },
            )
            .await
        }
        Command::CreateUser {
            email,
            password,
            role,
            account,
            name,
        } => {
            let role = role.parse().map_err(anyhow::Error::msg)?;
            app::auth::password::check_strength(&password)
                .map_err(|_| anyhow::anyhow!("the password must have at least 8 characters"))?;
            let email = email.trim().to_lowercase();
            let hash = app::auth::password::hash(&password)?;
            let mut tx = pool.begin().await?;
            let account_id = app::store::accounts::find_or_create(&mut tx, &account).await?;
            let display =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or("user").to_owned());
            app::store::accounts::create_user(&mut tx, account_id, &email, &display, &hash, role)
                .await
                .with_context(|| format!("creating {email} (is the email taken?)"))?;
            tx.commit().await?;
            println!("created {email} ({}) in account {account:?}", role.as_str());
            Ok(())
        }
        Command::CreateToken { email, name } => {
            let email = email.trim().to_lowercase();
            let name = name.trim();
            anyhow::ensure!(
                (1..=200).contains(&name.chars().count()),
                "the token name must have 1 to 200 characters"
            );
            let (token, hash) = server::api_v1::new_token();
            app::store::api_tokens::create(&pool, &email, name, &hash)
                .await
                .context("storing the token")?
                .with_context(|| format!("no active user has the email {email}"))?;
            eprintln!(
                "API token {name:?} for {email} created. It is shown only now; send it as \
                 `Authorization: Bearer <token>`."
            );
            println!("{token}");
            Ok(())
        }
        Command::RevokeToken { email, name } => {
            let email = email.trim().to_lowercase();
            let revoked = app::store::api_tokens::revoke(&pool, &email, name.as_deref())
                .await
                .context("revoking tokens")?;
            println!("revoked {revoked} token(s) of {email}");
            Ok(())
        }
        Command::Serve => {
            let fresh: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM accounts)")
                .fetch_one(&pool)
                .await?;
            let seed = match config.demo {
                DemoMode::Never => false,
                DemoMode::Always => fresh,
                DemoMode::Auto => fresh && cluster.is_some(),
            };
            if seed {
                seed_demo(&pool).await?;
            } else if cluster.is_some() {
                // A newcomer's later starts: remind them how to get in.
                let mut conn = pool.acquire().await?;
                let users =
                    app::store::accounts::user_emails(&mut conn, demo::DEMO_ACCOUNT_NAME).await?;
                if !users.is_empty() {
                    print_demo_sign_ins(&users);
                }
            }
            let app = Application::build(config, pool).await?;
            println!("Dialogs is running at http://{}", app.addr);
            app.run(shutdown_signal()).await
        }
    }
}

async fn seed_demo(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let hash = app::auth::password::hash(DEMO_PASSWORD)?;
    let summary = demo::seed(pool, &hash).await?;
    println!(
        "Demo account seeded: {} clients, {} dialogs, {} messages.",
        summary.clients, summary.dialogs, summary.messages
    );
    print_demo_sign_ins(&summary.users);
    Ok(())
}

fn print_demo_sign_ins(users: &[(String, String)]) {
    println!("Demo sign-ins (password {DEMO_PASSWORD}):");
    for (email, role) in users {
        println!("  {email}  ({role})");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
