//! Lambda entry point of `PUT /roles/{roleName}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| functions::identity::roles::put_roles_role_name(&state, request))
        .await
}
