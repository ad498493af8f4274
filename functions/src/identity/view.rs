//! How an account is shown to its owner (and to admins).

use serde::Serialize;
use shared::domain::{Timestamp, UserId};
use shared::identity::{Caller, GlobalRole, NotificationPreferences, UserStatus};

/// An account with its effective roles and permissions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nick_name: Option<String>,
    pub picture: Option<String>,
    pub phone: Option<String>,
    pub time_zone: Option<String>,
    pub user_role: GlobalRole,
    pub groups: Vec<String>,
    pub roles: Vec<GlobalRole>,
    pub permissions: Vec<String>,
    pub status: UserStatus,
    pub notification_preferences: NotificationPreferences,
    pub created_at: Timestamp,
}

impl From<Caller> for UserView {
    fn from(caller: Caller) -> Self {
        let user = caller.user;
        Self {
            id: user.id,
            email: user.email,
            username: user.username,
            display_name: user.display_name,
            given_name: user.given_name,
            family_name: user.family_name,
            nick_name: user.nick_name,
            picture: user.picture,
            phone: user.phone,
            time_zone: user.time_zone,
            user_role: user.user_role,
            groups: user.groups,
            roles: caller.roles.into_iter().collect(),
            permissions: caller.permissions.into_iter().collect(),
            status: user.status,
            notification_preferences: user.notification_preferences,
            created_at: user.created_at,
        }
    }
}
