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
/// away stops an owner), a manager's or clerk's membership (for the powers their role has),
/// or the platform-wide permission that grants it in any auction.
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
    /// Enter the floor winner of a live item.
    AssignLiveWinner,
    /// Correct a live item's winner once entered.
    CorrectLiveWinner,
    /// Register a walk-in bidder and hand out their bidder number.
    CheckIn,
    /// Find the auction's bidders by number, name or email.
    FindBidders,
    RecordPickup,
    ExportReports,
}

/// Which members of an auction hold a power through their membership alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Members {
    /// None: the owner and the platform only.
    Nobody,
    Managers,
    /// Managers and clerks (the floor staff of a live event).
    Clerks,
}

impl Power {
    pub const ALL: [Power; 23] = [
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
        Power::AssignLiveWinner,
        Power::CorrectLiveWinner,
        Power::CheckIn,
        Power::FindBidders,
        Power::RecordPickup,
        Power::ExportReports,
    ];

    /// `(owner's permission, platform-wide permission, which members have it)`.
    pub fn grants(self) -> (&'static str, &'static str, Members) {
        use Members::{Clerks, Managers, Nobody};
        match self {
            Power::UpdateAuction => ("auction:update:own", "auction:update:any", Managers),
            Power::ChangeNotifications => (
                "auction:notifications:own",
                "auction:notifications:any",
                Managers,
            ),
            Power::DeleteAuction => ("auction:delete:own", "auction:delete:any", Nobody),
            Power::Publish => ("auction:publish:own", "auction:publish:any", Nobody),
            Power::ChangePhase => ("auction:phase:own", "auction:phase:any", Nobody),
            Power::RotateCode => ("auction:code:own", "auction:code:any", Managers),
            Power::CreateItem => ("item:create:own", "item:create:any", Managers),
            Power::UpdateItem => ("item:update:own", "item:update:any", Managers),
            Power::DeleteItem => ("item:delete:own", "item:delete:any", Managers),
            Power::ReadMembers => ("membership:manage:own", READ_ANY, Managers),
            Power::ManageMembers => ("membership:manage:own", "membership:manage:any", Managers),
            Power::ReadAudit => (READ_OWN, "audit:read", Managers),
            Power::ReadTotals => (READ_OWN, "totals:read:any", Managers),
            Power::Reconcile => (READ_OWN, "reconcile:run", Managers),
            Power::RemoveBid => ("bid:remove:own", "bid:remove:any", Managers),
            Power::RestoreBid => ("bid:restore:own", "bid:restore:any", Managers),
            Power::RecordPayment => ("payment:record:own", "payment:record:any", Managers),
            Power::AssignLiveWinner => ("live_winner:assign:own", "live_winner:assign:any", Clerks),
            Power::CorrectLiveWinner => {
                ("live_winner:assign:own", "live_winner:assign:any", Managers)
            }
            Power::CheckIn => ("checkin:run:own", "checkin:run:any", Clerks),
            Power::FindBidders => ("checkin:run:own", READ_ANY, Clerks),
            Power::RecordPickup => ("pickup:update:own", "pickup:update:any", Clerks),
            Power::ExportReports => ("report:export", "report:export:any", Managers),
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

    /// A member whose role holds powers given to `members`.
    fn member_of(&self, members: Members) -> bool {
        match members {
            Members::Nobody => false,
            Members::Managers => self.manages(),
            Members::Clerks => {
                !self.owner
                    && matches!(
                        self.role(),
                        Some(MembershipRole::Manager | MembershipRole::Clerk)
                    )
            }
        }
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
        let (own, any, members) = power.grants();
        self.owns_with(own) || self.member_of(members) || self.permissions.contains(any)
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
        let detail = match power.grants().2 {
            Members::Clerks => {
                "Only the auction's owner, its managers and clerks, and permitted staff may do this."
            }
            Members::Managers => {
                "Only the auction's owner, its managers and permitted staff may do this."
            }
            Members::Nobody => "Only the auction's owner and permitted administrators may do this.",
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
