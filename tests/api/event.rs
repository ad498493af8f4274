//! Running the event on the local stack: live items sold on the floor by the clerk, by bidder
//! number and by name, corrected by a manager; who may do it. Each test makes its own private
//! auction, bidders and clerk, so it runs beside the rest.

use std::time::Duration;

use chrono::Utc;
use integration_tests::trials;
use libtest_mimic::Trial;
use serde_json::{Value, json};

use crate::realtime::{Auction, Stack, User, stack};

pub fn trials() -> Vec<Trial> {
    trials![
        live_winners_sell_live_items_by_number_and_by_name_and_a_correction_moves_the_totals,
        only_those_who_run_the_auction_enter_live_winners_and_only_managers_correct_them,
        a_walk_in_is_checked_in_by_email_or_made_on_the_spot_with_the_next_number,
    ]
}

/// A private auction of cinos's, published, starting in 2 s for 10 minutes, two bidders who
/// joined with the code, and a clerk.
pub(crate) struct Event {
    pub(crate) stack: Stack,
    pub(crate) artist: User,
    pub(crate) auction: Auction,
    pub(crate) bidders: [(User, u64); 2],
    pub(crate) clerk: User,
}

impl Event {
    /// One silent lot and two live ones, with the default settings.
    async fn start() -> anyhow::Result<Self> {
        let lots: Vec<Value> = ["silent", "live", "live"]
            .iter()
            .enumerate()
            .map(|(lot, kind)| json!({"name": format!("Lot {lot}"), "type": kind, "startingPrice": "10.00"}))
            .collect();
        Self::with(Value::Null, &lots).await
    }

    /// The event with these settings (`null`: the defaults) and lots.
    pub(crate) async fn with(settings: Value, lots: &[Value]) -> anyhow::Result<Self> {
        let stack = stack().await?;
        let artist = stack.seeded("cinos").await?;
        let starts = Utc::now() + chrono::Duration::seconds(2);
        let auction = stack
            .timed_auction(
                &artist,
                "private",
                settings,
                lots,
                (starts, starts + chrono::Duration::minutes(10)),
                false,
            )
            .await?;
        let code = json!({"auctionCode": auction.code.clone().unwrap_or_default()});
        let mut joined = Vec::new();
        for _ in 0..3 {
            let user = stack.newcomer().await?;
            let member = stack
                .expect(
                    200,
                    "POST",
                    "/auctions/join",
                    Some(&user.token),
                    Some(code.clone()),
                )
                .await?;
            let number = member["bidderNumber"].as_u64().unwrap_or_default();
            joined.push((user, number));
        }
        let [first, second, (clerk, _)]: [(User, u64); 3] = joined
            .try_into()
            .map_err(|_| anyhow::anyhow!("three joined"))?;
        stack
            .expect(
                200,
                "PATCH",
                &format!("/auctions/{}/members/{}", auction.id, clerk.id),
                Some(&artist.token),
                Some(json!({"role": "clerk"})),
            )
            .await?;
        Ok(Self {
            stack,
            artist,
            auction,
            bidders: [first, second],
            clerk,
        })
    }

    /// `POST` or `PUT /items/{item}/live-winner` as `user`.
    pub(crate) async fn enter(
        &self,
        method: &str,
        user: Option<&User>,
        item: &str,
        body: Value,
    ) -> anyhow::Result<integration_tests::harness::Exchange> {
        self.stack
            .call(
                method,
                &format!("/items/{item}/live-winner"),
                user.map(|u| u.token.as_str()),
                Some(body),
            )
            .await
    }

    /// `user`'s totals in this auction (`won`, `subtotal`), or `None` if they hold none.
    pub(crate) async fn totals_of(&self, user: &User) -> anyhow::Result<Option<Value>> {
        let page = self
            .stack
            .expect(
                200,
                "GET",
                &format!("/me/totals?auctionId={}", self.auction.id),
                Some(&user.token),
                None,
            )
            .await?;
        Ok(page["items"]
            .as_array()
            .and_then(|rows| rows.first().cloned()))
    }

    /// The entries of `action`, as the audit route filters them (all pages).
    pub(crate) async fn audited(&self, action: &str) -> anyhow::Result<Vec<Value>> {
        let mut found = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self
                .stack
                .expect(
                    200,
                    "GET",
                    &format!(
                        "/auctions/{}/audit?action={action}&limit=100{cursor}",
                        self.auction.id
                    ),
                    Some(&self.artist.token),
                    None,
                )
                .await?;
            let entries = page["items"].as_array().cloned().unwrap_or_default();
            assert!(entries.iter().all(|e| e["action"] == action), "{page}");
            found.extend(entries);
            match page["nextCursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return Ok(found),
            }
        }
    }

    pub(crate) async fn assert_reconciled(&self) -> anyhow::Result<()> {
        let report = self
            .stack
            .expect(
                200,
                "GET",
                &format!("/auctions/{}/reconcile", self.auction.id),
                Some(&self.artist.token),
                None,
            )
            .await?;
        assert_eq!(report["differences"], json!([]), "{report}");
        Ok(())
    }
}

pub(crate) fn refused(answer: &integration_tests::harness::Exchange, status: u16, code: &str) {
    let body: Value = answer.json().unwrap_or_default();
    assert_eq!(
        (answer.status, body["code"].as_str().unwrap_or_default()),
        (status, code),
        "{body}"
    );
}

/// The clerk enters lot 1's winner by bidder number and lot 2's by name; each is sold with a
/// payment window, the first in its winner's totals (and announced to them), the second in
/// no one's. A live item takes no online bid. The owner corrects lot 1 to the other bidder at
/// another price: the totals move from one to the other and the audit holds both values.
async fn live_winners_sell_live_items_by_number_and_by_name_and_a_correction_moves_the_totals()
-> anyhow::Result<()> {
    let event = Event::start().await?;
    let (lot1, lot2) = (&event.auction.items[1], &event.auction.items[2]);
    let [(first, first_number), (second, second_number)] = &event.bidders;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let online = event
        .stack
        .call(
            "POST",
            &format!("/items/{lot1}/bids"),
            Some(&first.token),
            Some(json!({"amount": "20.00"})),
        )
        .await?;
    refused(&online, 409, "LIVE_ITEM");

    let entered = event
        .enter(
            "POST",
            Some(&event.clerk),
            lot1,
            json!({"bidderNumber": first_number, "hammerPrice": "450.00"}),
        )
        .await?;
    assert_eq!(
        entered.status,
        201,
        "{}",
        String::from_utf8_lossy(&entered.body)
    );
    let entered = entered.json()?;
    assert_eq!(entered["bidderNumber"], *first_number);
    assert_eq!(entered["hammerPrice"], "450.00");
    assert_eq!(entered["paymentStatus"], "unpaid");
    let sold = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/items/{lot1}"),
            Some(&first.token),
            None,
        )
        .await?;
    assert_eq!(sold["status"], "sold", "{sold}");
    assert_eq!(sold["sale"]["amount"], "450.00");
    assert_eq!(sold["sale"]["bidderNumber"], *first_number);
    assert_eq!(sold["sale"]["dueAt"], entered["dueAt"]);
    let totals = event.totals_of(first).await?.unwrap_or_default();
    assert_eq!(totals["won"], json!([lot1]), "{totals}");
    assert_eq!(totals["subtotal"], "450.00");
    let won = event.stack.notification_about(first, lot1).await?;
    assert_eq!(won["type"], "item_won", "{won}");
    let again = event
        .enter(
            "POST",
            Some(&event.clerk),
            lot1,
            json!({"bidderNumber": second_number, "hammerPrice": "460.00"}),
        )
        .await?;
    refused(&again, 409, "LIVE_WINNER_EXISTS");

    let by_name = event
        .enter(
            "POST",
            Some(&event.clerk),
            lot2,
            json!({"manualName": "  Guest at table 7 ", "hammerPrice": "120.00"}),
        )
        .await?;
    assert_eq!(
        by_name.status,
        201,
        "{}",
        String::from_utf8_lossy(&by_name.body)
    );
    assert_eq!(by_name.json()?["manualName"], "Guest at table 7");
    let sold = event
        .stack
        .expect(
            200,
            "GET",
            &format!("/items/{lot2}"),
            Some(&event.artist.token),
            None,
        )
        .await?;
    assert_eq!(sold["status"], "sold");
    assert_eq!(sold["sale"]["amount"], "120.00");
    assert_eq!(sold["sale"].get("bidderNumber"), None, "{sold}");

    let corrected = event
        .enter(
            "PUT",
            Some(&event.artist),
            lot1,
            json!({"bidderNumber": second_number, "hammerPrice": "500.00"}),
        )
        .await?;
    assert_eq!(
        corrected.status,
        200,
        "{}",
        String::from_utf8_lossy(&corrected.body)
    );
    let corrected = corrected.json()?;
    assert_eq!(
        corrected["dueAt"], entered["dueAt"],
        "the same payment window"
    );
    let before = event.totals_of(first).await?.unwrap_or_default();
    assert_eq!(before["won"], json!([]), "{before}");
    assert_eq!(before["subtotal"], "0.00");
    let after = event.totals_of(second).await?.unwrap_or_default();
    assert_eq!(after["won"], json!([lot1]), "{after}");
    assert_eq!(after["subtotal"], "500.00");
    // The same bidder corrected again: only the price moves.
    let repriced = event
        .enter(
            "PUT",
            Some(&event.artist),
            lot1,
            json!({"bidderNumber": second_number, "hammerPrice": "480.00"}),
        )
        .await?;
    assert_eq!(
        repriced.status,
        200,
        "{}",
        String::from_utf8_lossy(&repriced.body)
    );
    assert_eq!(
        event.totals_of(second).await?.unwrap_or_default()["subtotal"],
        "480.00"
    );

    let entries = event.audited("live_winner_assigned").await?;
    assert_eq!(entries.len(), 4, "{entries:?}");
    let correction = entries
        .iter()
        .find(|e| e["details"]["to"]["hammerPrice"] == "500.00")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        correction["details"]["from"],
        json!({"bidderNumber": first_number, "manualName": null, "hammerPrice": "450.00"}),
        "{correction}"
    );
    assert_eq!(correction["actorId"], event.artist.id.as_str());
    // The audit log by time: nothing after now, everything of the test up to now.
    let audit = format!("/auctions/{}/audit", event.auction.id);
    let token = Some(event.artist.token.as_str());
    let later = (Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let none = event
        .stack
        .expect(
            200,
            "GET",
            &format!("{audit}?from={}", later.replace('+', "%2B")),
            token,
            None,
        )
        .await?;
    assert_eq!(none["items"], json!([]), "{none}");
    let until_now = event
        .stack
        .expect(
            200,
            "GET",
            &format!("{audit}?to={}&limit=100", later.replace('+', "%2B")),
            token,
            None,
        )
        .await?;
    assert!(
        until_now["items"].as_array().map_or(0, Vec::len) >= 6,
        "{until_now}"
    );
    for bad in [
        "action=bidding",
        "from=yesterday",
        "from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z",
    ] {
        let refused = event
            .stack
            .call("GET", &format!("{audit}?{bad}"), token, None)
            .await?;
        assert_eq!(refused.status, 422, "{bad}");
    }
    event.assert_reconciled().await
}

/// Bidders, outsiders and anonymous callers cannot enter winners; a clerk cannot correct one;
/// a bad entry (no winner, both, an unknown number, a silent item) is refused with its reason.
async fn only_those_who_run_the_auction_enter_live_winners_and_only_managers_correct_them()
-> anyhow::Result<()> {
    let event = Event::start().await?;
    let (silent, lot1) = (&event.auction.items[0], &event.auction.items[1]);
    let [(first, first_number), _] = &event.bidders;
    let body = json!({"bidderNumber": first_number, "hammerPrice": "300.00"});
    let outsider = event.stack.newcomer().await?;
    refused(
        &event.enter("POST", Some(first), lot1, body.clone()).await?,
        403,
        "FORBIDDEN",
    );
    refused(
        &event
            .enter("POST", Some(&outsider), lot1, body.clone())
            .await?,
        404,
        "NOT_FOUND",
    );
    let anonymous = event.enter("POST", None, lot1, body.clone()).await?;
    assert_eq!(anonymous.status, 401);
    for wrong in [
        json!({"hammerPrice": "300.00"}),
        json!({"bidderNumber": first_number, "manualName": "Both", "hammerPrice": "300.00"}),
        json!({"bidderNumber": 9999, "hammerPrice": "300.00"}),
        json!({"bidderNumber": first_number, "hammerPrice": "0"}),
        json!({"manualName": "", "hammerPrice": "300.00"}),
    ] {
        let answer = event
            .enter("POST", Some(&event.clerk), lot1, wrong.clone())
            .await?;
        assert_eq!(
            answer.status,
            422,
            "{wrong}: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    refused(
        &event
            .enter("POST", Some(&event.clerk), silent, body.clone())
            .await?,
        409,
        "NOT_A_LIVE_ITEM",
    );
    refused(
        &event
            .enter("PUT", Some(&event.artist), lot1, body.clone())
            .await?,
        409,
        "NO_LIVE_WINNER",
    );
    let entered = event
        .enter("POST", Some(&event.clerk), lot1, body.clone())
        .await?;
    assert_eq!(
        entered.status,
        201,
        "{}",
        String::from_utf8_lossy(&entered.body)
    );
    refused(
        &event
            .enter("PUT", Some(&event.clerk), lot1, body.clone())
            .await?,
        403,
        "FORBIDDEN",
    );
    refused(
        &event.enter("PUT", Some(first), lot1, body).await?,
        403,
        "FORBIDDEN",
    );
    event.assert_reconciled().await
}

/// A clerk checks in a walk-in with no account (one is made, with the next bidder number), the
/// same email again (the same number), and someone with an account who had not joined; the
/// walk-in's number then wins a live item. Bidders, outsiders and anonymous callers may not
/// check anyone in.
async fn a_walk_in_is_checked_in_by_email_or_made_on_the_spot_with_the_next_number()
-> anyhow::Result<()> {
    let event = Event::start().await?;
    let path = format!("/auctions/{}/check-in", event.auction.id);
    let email = format!("walk-in-{}@example.com", &event.auction.id[..8]);
    let nameless = event
        .stack
        .call(
            "POST",
            &path,
            Some(&event.clerk.token),
            Some(json!({"email": email})),
        )
        .await?;
    assert_eq!(
        nameless.status,
        422,
        "{}",
        String::from_utf8_lossy(&nameless.body)
    );
    let made = event
        .stack
        .expect(
            201,
            "POST",
            &path,
            Some(&event.clerk.token),
            Some(json!({"email": email.to_uppercase(), "displayName": "Walk-in Guest"})),
        )
        .await?;
    assert_eq!(made["accountCreated"], true);
    assert_eq!(made["displayName"], "Walk-in Guest");
    let number = made["bidderNumber"].as_u64().unwrap_or_default();
    let highest = event
        .bidders
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or_default();
    assert!(number > highest, "{made}");
    let again = event
        .stack
        .expect(
            200,
            "POST",
            &path,
            Some(&event.clerk.token),
            Some(json!({"email": email})),
        )
        .await?;
    assert_eq!(again["accountCreated"], false);
    assert_eq!(again["bidderNumber"], made["bidderNumber"]);
    assert_eq!(again["userId"], made["userId"]);

    let registered = event.stack.newcomer().await?;
    let joined = event
        .stack
        .expect(
            200,
            "POST",
            &path,
            Some(&event.artist.token),
            Some(json!({"email": format!("{}@example.com", registered.username)})),
        )
        .await?;
    assert_eq!(joined["accountCreated"], false);
    assert_eq!(joined["userId"], registered.id.as_str());
    assert!(joined["bidderNumber"].as_u64() > Some(number), "{joined}");

    let won = event
        .enter(
            "POST",
            Some(&event.clerk),
            &event.auction.items[1],
            json!({"bidderNumber": number, "hammerPrice": "75.00"}),
        )
        .await?;
    assert_eq!(won.status, 201, "{}", String::from_utf8_lossy(&won.body));

    // The clerk finds the walk-in again by number, by email and by part of the name.
    let members = format!("/auctions/{}/members", event.auction.id);
    let clerk = Some(event.clerk.token.as_str());
    for q in [number.to_string(), email.clone(), "WALK-IN".to_string()] {
        let found = event
            .stack
            .expect(
                200,
                "GET",
                &format!("{members}?q={q}&limit=100"),
                clerk,
                None,
            )
            .await?;
        let rows = found["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 1, "{q}: {found}");
        assert_eq!(rows[0]["displayName"], "Walk-in Guest", "{q}: {found}");
        assert_eq!(rows[0]["email"], email.as_str());
        assert_eq!(rows[0]["bidderNumber"], number);
    }
    let nobody = event
        .stack
        .expect(200, "GET", &format!("{members}?q=99999"), clerk, None)
        .await?;
    assert_eq!(nobody["items"], json!([]));
    // Listing every member stays the managers' and the owner's.
    assert_eq!(
        event.stack.call("GET", &members, clerk, None).await?.status,
        403
    );

    let body = json!({"email": "someone@example.com", "displayName": "Someone"});
    let [(bidder, _), _] = &event.bidders;
    let searched = event
        .stack
        .call(
            "GET",
            &format!("{members}?q={number}"),
            Some(&bidder.token),
            None,
        )
        .await?;
    refused(&searched, 403, "FORBIDDEN");
    let outsider = event.stack.newcomer().await?;
    refused(
        &event
            .stack
            .call("POST", &path, Some(&bidder.token), Some(body.clone()))
            .await?,
        403,
        "FORBIDDEN",
    );
    refused(
        &event
            .stack
            .call("POST", &path, Some(&outsider.token), Some(body.clone()))
            .await?,
        404,
        "NOT_FOUND",
    );
    assert_eq!(
        event
            .stack
            .call("POST", &path, None, Some(body))
            .await?
            .status,
        401
    );
    let created = event.audited("user_created").await?;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["details"]["source"], "check-in");
    assert_eq!(created[0]["actorId"], event.clerk.id.as_str());
    event.assert_reconciled().await
}
