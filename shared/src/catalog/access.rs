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

    /// Drafts: owner and staff. Published public auctions: anyone. Private: members too.
    pub fn can_view(&self, auction: &AuctionRecord) -> bool {
        if self.owner || self.staff_reader {
            return true;
        }
        auction.status.is_published()
            && (auction.event_type == EventType::Public || self.membership.is_some())
    }

    /// Runs the auction by membership: its owner and managers.
    pub fn runs(&self) -> bool {
        matches!(
            self.role(),
            Some(MembershipRole::Owner | MembershipRole::Manager)
        )
    }

    /// May do what `any_permission` grants platform-wide: those who run the auction do it in
    /// theirs; holders of the permission, in any.
    pub fn may(&self, any_permission: &str) -> bool {
        self.runs() || self.permissions.contains(any_permission)
    }

    /// Sees private fields (reserve prices, the auction code): owner, managers, staff.
    pub fn sees_private(&self) -> bool {
        self.runs() || self.staff_reader
    }

    /// `404` unless the caller may see the auction.
    pub fn require_view(&self, auction: &AuctionRecord) -> Result<(), ApiError> {
        if self.can_view(auction) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// `404` if the caller may not even see it, `403` if they see it but may not do what
    /// `any_permission` stands for.
    pub fn require(&self, auction: &AuctionRecord, any_permission: &str) -> Result<(), ApiError> {
        self.require_view(auction)?;
        if self.may(any_permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "FORBIDDEN",
                detail: "Only the auction's owner, its managers and permitted staff may do this."
                    .into(),
            })
        }
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
