//! Lambda entry point of `DELETE /users/{userId}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::users::delete_users_user(&state, request))
        .await
}
