//! Lambda entry point of `GET /permissions`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::roles::get_permissions(&state, request))
        .await
}
