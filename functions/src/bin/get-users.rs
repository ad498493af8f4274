//! Lambda entry point of `GET /users`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::users::get_users(&state, request)).await
}
