//! Lambda entry point of `POST /users`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::users::post_users(&state, request)).await
}
