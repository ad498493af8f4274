//! Lambda entry point of `PUT /groups/{groupName}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = functions::AppState::from_env().await?;
    shared::http::serve(|request| {
        functions::identity::groups::put_groups_group_name(&state, request)
    })
    .await
}
