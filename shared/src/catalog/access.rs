//! Object-level authorisation for one auction: what the caller is to it (owner, staff, a
//! member in some role) and so what they may see and do. Anything they may not see answers
//! 404, so existence does not leak.

use std::collections::BTreeSet;

use super::auction::{AuctionRecord, EventType};
use super::membership::{MembershipRecord, MembershipRole, MembershipStatus};
use crate::http::ApiError;
use crate::identity::Caller;
use crate::store::{Read, Store, StoreError};

/// Staff see every auction.
pub const READ_ANY: &str = "auction:read:any";
/// Owners see their own drafts and private fields, and read what only those who run an
/// auction read (members, audit, totals, reconcile).
pub const READ_OWN: &str = "auction:read:own";

/// Something done to one auction by those who run it or the platform. Each is allowed by
/// one of three things: the owner holding its `:own` permission (so taking the artist role
/// away stops an owner), a manager's membership (for the powers managers have), or the
/// platform-wide permission that grants it in any auction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    UpdateAuction,
    ChangeNotifications,
    DeleteAuction,
    Publish,
    ChangePhase,
    RotateCode,
    CreateItem,
    UpdateItem,
    DeleteItem,
    ReadMembers,
    ManageMembers,
    ReadAudit,
    ReadTotals,
    Reconcile,
    RemoveBid,
    RestoreBid,
    RecordPayment,
}

impl Power {
    pub const ALL: [Power; 17] = [
        Power::UpdateAuction,
        Power::ChangeNotifications,
        Power::DeleteAuction,
        Power::Publish,
        Power::ChangePhase,
        Power::RotateCode,
        Power::CreateItem,
        Power::UpdateItem,
        Power::DeleteItem,
        Power::ReadMembers,
        Power::ManageMembers,
        Power::ReadAudit,
        Power::ReadTotals,
        Power::Reconcile,
        Power::RemoveBid,
        Power::RestoreBid,
        Power::RecordPayment,
    ];

    /// `(owner's permission, platform-wide permission, managers have it)`.
    pub fn grants(self) -> (&'static str, &'static str, bool) {
        match self {
            Power::UpdateAuction => ("auction:update:own", "auction:update:any", true),
            Power::ChangeNotifications => (
                "auction:notifications:own",
                "auction:notifications:any",
                true,
            ),
            Power::DeleteAuction => ("auction:delete:own", "auction:delete:any", false),
            Power::Publish => ("auction:publish:own", "auction:publish:any", false),
            Power::ChangePhase => ("auction:phase:own", "auction:phase:any", false),
            Power::RotateCode => ("auction:code:own", "auction:code:any", true),
            Power::CreateItem => ("item:create:own", "item:create:any", true),
            Power::UpdateItem => ("item:update:own", "item:update:any", true),
            Power::DeleteItem => ("item:delete:own", "item:delete:any", true),
            Power::ReadMembers => ("membership:manage:own", READ_ANY, true),
            Power::ManageMembers => ("membership:manage:own", "membership:manage:any", true),
            Power::ReadAudit => (READ_OWN, "audit:read", true),
            Power::ReadTotals => (READ_OWN, "totals:read:any", true),
            Power::Reconcile => (READ_OWN, "reconcile:run", true),
            Power::RemoveBid => ("bid:remove:own", "bid:remove:any", true),
            Power::RestoreBid => ("bid:restore:own", "bid:restore:any", true),
            Power::RecordPayment => ("payment:record:own", "payment:record:any", true),
        }
    }
}

impl MembershipRole {
    fn rank(self) -> u8 {
        match self {
            MembershipRole::Owner => 3,
            MembershipRole::Manager => 2,
            MembershipRole::Clerk => 1,
            MembershipRole::Bidder => 0,
        }
    }

    /// The narrower of two roles: an override may only ever take rights away.
    pub fn narrowed_by(self, override_role: Option<MembershipRole>) -> MembershipRole {
        match override_role {
            Some(narrower) if narrower.rank() < self.rank() => narrower,
            _ => self,
        }
    }
}

/// What the caller is to one auction.
#[derive(Clone, Debug, Default)]
pub struct AuctionAccess {
    pub owner: bool,
    /// Platform staff or administrators who may read any auction.
    pub staff_reader: bool,
    /// The caller's global permissions: each `...:any` one lets them do that one thing in any
    /// auction (staff edit auctions, say, but neither publish nor delete them).
    pub permissions: BTreeSet<String>,
    /// The caller's active membership, with its role narrowed by any override.
    pub membership: Option<MembershipRecord>,
}

impl AuctionAccess {
    /// Works out the caller's standing (one read of their membership).
    pub async fn of(
        store: &Store,
        caller: Option<&Caller>,
        auction: &AuctionRecord,
    ) -> Result<Self, StoreError> {
        let Some(caller) = caller else {
            return Ok(Self::default());
        };
        let membership = store
            .get::<MembershipRecord>(
                &MembershipRecord::key(auction.id, caller.id()),
                Read::Strong,
            )
            .await?
            .filter(|m| m.status == MembershipStatus::Active);
        Ok(Self {
            owner: auction.owner_id == caller.id(),
            staff_reader: caller.can(READ_ANY),
            permissions: caller.permissions.clone(),
            membership,
        })
    }

    /// The caller's effective role in the auction, if any.
    pub fn role(&self) -> Option<MembershipRole> {
        if self.owner {
            return Some(MembershipRole::Owner);
        }
        self.membership
            .as_ref()
            .map(|m| m.role.narrowed_by(m.role_override))
    }

    /// The owner, while they hold `permission` (the artist role's own powers).
    pub fn owns_with(&self, permission: &str) -> bool {
        self.owner && self.permissions.contains(permission)
    }

    /// A manager of the auction by membership (narrowed by any override).
    fn manages(&self) -> bool {
        !self.owner && self.role() == Some(MembershipRole::Manager)
    }

    /// Drafts: their owner (with `auction:read:own`) and staff. Published public auctions:
    /// anyone. Private: members too.
    pub fn can_view(&self, auction: &AuctionRecord) -> bool {
        if self.owns_with(READ_OWN) || self.staff_reader {
            return true;
        }
        auction.status.is_published()
            && (auction.event_type == EventType::Public || self.membership.is_some() || self.owner)
    }

    /// May use `power` here: see [`Power`].
    pub fn may(&self, power: Power) -> bool {
        let (own, any, managers) = power.grants();
        self.owns_with(own) || (managers && self.manages()) || self.permissions.contains(any)
    }

    /// Sees private fields (reserve prices, the auction code): the owner, managers, staff.
    pub fn sees_private(&self) -> bool {
        self.owns_with(READ_OWN) || self.manages() || self.staff_reader
    }

    /// `404` unless the caller may see the auction.
    pub fn require_view(&self, auction: &AuctionRecord) -> Result<(), ApiError> {
        if self.can_view(auction) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// `404` if the caller may not even see it, `403` if they see it but may not use `power`.
    pub fn require(&self, auction: &AuctionRecord, power: Power) -> Result<(), ApiError> {
        self.require_view(auction)?;
        if self.may(power) {
            return Ok(());
        }
        let (_, _, managers) = power.grants();
        let detail = if managers {
            "Only the auction's owner, its managers and permitted staff may do this."
        } else {
            "Only the auction's owner and permitted administrators may do this."
        };
        Err(ApiError::Forbidden {
            code: "FORBIDDEN",
            detail: detail.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::MembershipRole::*;

    #[test]
    fn overrides_only_narrow() {
        assert_eq!(Manager.narrowed_by(Some(Bidder)), Bidder);
        assert_eq!(Clerk.narrowed_by(Some(Manager)), Clerk);
        assert_eq!(Bidder.narrowed_by(None), Bidder);
    }
}
