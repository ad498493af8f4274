//! Lambda entry point of `PATCH /users/{userId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::users::patch_users_user(&state, request))
        .await
}
