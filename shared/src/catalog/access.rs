//! Object-level authorisation for one auction: what the caller is to it (owner, staff, a
//! member in some role) and so what they may see and do. Anything they may not see answers
//! 404, so existence does not leak.

use super::auction::{AuctionRecord, EventType};
use super::membership::{MembershipRecord, MembershipRole, MembershipStatus};
use crate::http::ApiError;
use crate::identity::Caller;
use crate::store::{Read, Store, StoreError};

/// Staff see every auction.
pub const READ_ANY: &str = "auction:read:any";
/// Staff may run every auction.
pub const UPDATE_ANY: &str = "auction:update:any";

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
    /// Platform staff or administrators who may run any auction.
    pub staff_manager: bool,
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
            staff_manager: caller.can(UPDATE_ANY),
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

    /// Runs the auction (edits, items, members): owner, managers, staff.
    pub fn can_manage(&self) -> bool {
        self.staff_manager
            || matches!(
                self.role(),
                Some(MembershipRole::Owner | MembershipRole::Manager)
            )
    }

    /// Sees private fields (reserve prices, the auction code): owner, managers, staff.
    pub fn sees_private(&self) -> bool {
        self.can_manage() || self.staff_reader
    }

    /// `404` unless the caller may see the auction.
    pub fn require_view(&self, auction: &AuctionRecord) -> Result<(), ApiError> {
        if self.can_view(auction) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// `404` if the caller may not even see it, `403` if they see it but may not run it.
    pub fn require_manage(&self, auction: &AuctionRecord) -> Result<(), ApiError> {
        self.require_view(auction)?;
        if self.can_manage() {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "FORBIDDEN",
                detail: "Only the auction's owner, its managers and staff may do this.".into(),
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
