//! Lambda entry point of `POST /me/password`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::password::post_me_password(&state, request))
        .await
}
