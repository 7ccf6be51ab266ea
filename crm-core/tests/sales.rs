//! Quotes and sales orders: totals from the one tax function, carried over to the cent, the
//! typed state transitions, discount approval, last prices, bad input, and who sees what.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::NaiveDate;
use common::{block_on, Company};
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::product::{ProductInput, PRODUCT};
use crm_core::sales::{
    EnteredPrice, LineDraft, OrderState, QuoteEvent, QuoteState, QUOTE, QUOTE_LINE, SALES_ORDER,
    SALES_ORDER_LINE,
};
use crm_core::sales::{InvoiceKind, Portion, INVOICE, INVOICE_LINE};
use crm_core::service::{
    DocSearch, InvoiceInput, NewEmployee, OrderInput, QuoteInput, ReceiptInput, RedInvoiceInput,
    SalesPolicy, TrackingInput, TrackingLookup,
};
use crm_core::store::{Entity, Kind, Query};
use crm_core::Error;
use rust_decimal::Decimal;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn count(co: &Company, kind: &'static Kind) -> u64 {
    co.crm
        .store()
        .query(&Query::all(kind).with_total())
        .await
        .unwrap()
        .total
        .unwrap()
}

/// The fixture company, with quote and order permissions on the salespeople's role (limit 5 %),
/// an approver role (limit 20 %) for the manager, and two products.
struct Shop {
    co: Company,
    customer: Uuid,
    /// 113.00 tax-inclusive, 13 %.
    drill: Uuid,
    /// 8.85 tax-exclusive, 9 %.
    bolt: Uuid,
}

fn sales_permissions() -> Vec<Permission> {
    let mut v = common::all_customer_permissions();
    for op in [Op::View, Op::Create, Op::Edit] {
        v.push(Permission::new(Resource::Quote, op));
    }
    for op in [Op::View, Op::Create, Op::Edit, Op::Delete] {
        v.push(Permission::new(Resource::SalesOrder, op));
    }
    for op in [Op::View, Op::Create] {
        v.push(Permission::new(Resource::Invoice, op));
    }
    for op in [Op::View, Op::Create, Op::Edit] {
        v.push(Permission::new(Resource::Courier, op));
        v.push(Permission::new(Resource::Receipt, op));
    }
    v
}

fn shop() -> Shop {
    let co = Company::new();
    let (drill, bolt) = block_on(async {
        let crm = &co.crm;
        let sales = crm
            .create_role(co.admin, "销售(含报价)", sales_permissions(), false)
            .await
            .unwrap();
        crm.set_role_discount_limit(co.admin, sales.id, d("0.05"))
            .await
            .unwrap();
        let approver = crm
            .create_role(
                co.admin,
                "订单审批",
                [Permission::new(Resource::SalesOrder, Op::Approve)],
                false,
            )
            .await
            .unwrap();
        crm.set_role_discount_limit(co.admin, approver.id, d("0.20"))
            .await
            .unwrap();
        let org = crm.org().await.unwrap();
        for actor in [
            co.manager,
            co.owner,
            co.peer,
            co.subordinate,
            co.shared_person,
            co.shared_dept_member,
            co.unrelated,
        ] {
            let mut e = org.employee(actor.employee_id()).unwrap().clone();
            e.role_ids.insert(sales.id);
            if actor == co.manager {
                e.role_ids.insert(approver.id);
            }
            crm.update_employee(co.admin, e).await.unwrap();
        }
        let product = |code: &str, name: &str, price: &str, incl: bool, rate: &str| {
            ProductInput::builder()
                .code(code.into())
                .name(name.into())
                .unit("个".into())
                .sale_price(d(price))
                .price_includes_tax(incl)
                .tax_rate(d(rate))
                .build()
        };
        let drill = crm
            .create_product(co.admin, product("P-1", "电钻", "113.00", true, "0.13"))
            .await
            .unwrap()
            .value
            .id;
        let bolt = crm
            .create_product(co.admin, product("P-2", "螺栓", "8.85", false, "0.09"))
            .await
            .unwrap()
            .value
            .id;
        (drill, bolt)
    });
    let customer = co.shared_customer("上海申达机电有限公司");
    Shop {
        co,
        customer,
        drill,
        bolt,
    }
}

fn line(product: Uuid, qty: &str) -> LineDraft {
    LineDraft::builder()
        .product_id(product)
        .quantity(d(qty))
        .build()
}

impl Shop {
    fn quote_input(&self, lines: Vec<LineDraft>) -> QuoteInput {
        QuoteInput::builder()
            .customer_id(self.customer)
            .valid_until(date(2026, 3, 31))
            .lines(lines)
            .build()
    }

    fn order_input(&self, lines: Vec<LineDraft>) -> OrderInput {
        OrderInput::builder()
            .customer_id(self.customer)
            .lines(lines)
            .build()
    }
}

#[test]
fn quote_totals_come_from_the_tax_function_and_lines_keep_the_price_as_entered() {
    let s = shop();
    block_on(async {
        let q =
            s.co.crm
                .create_quote(
                    s.co.owner,
                    s.quote_input(vec![
                        line(s.drill, "3"),
                        LineDraft::builder()
                            .product_id(s.bolt)
                            .quantity(d("2.5"))
                            .discount(d("0.04"))
                            .build(),
                    ]),
                )
                .await
                .unwrap();
        // 3 × 113.00 inclusive at 13 %: gross 339.00, net 300.00, tax 39.00.
        let drill = &q.lines[0];
        assert_eq!(
            (drill.net, drill.tax, drill.gross),
            (d("300.00"), d("39.00"), d("339.00"))
        );
        assert!(drill.price_includes_tax);
        assert_eq!(drill.unit_price, d("113.00"));
        assert_eq!(drill.unit_price_exclusive, d("100.000000"));
        // 2.5 × 8.85 exclusive, 4 % off: net round(22.125 × 0.96) = 21.24, tax 9 % = 1.91.
        let bolt = &q.lines[1];
        assert_eq!(
            (bolt.net, bolt.tax, bolt.gross),
            (d("21.24"), d("1.91"), d("23.15"))
        );
        let quote = &q.quote.value;
        assert_eq!(
            (quote.net, quote.tax, quote.gross),
            (d("321.24"), d("40.91"), d("362.15"))
        );
        assert_eq!(quote.number, "QT-2026-000001");
        assert_eq!(quote.state, QuoteState::Draft);
        assert_eq!(quote.owner_id, s.co.owner.employee_id());
        // Stored as returned.
        assert_eq!(s.co.crm.quote(s.co.owner, quote.id).await.unwrap(), q);
    });
}

#[test]
fn quote_numbers_are_consecutive_within_a_year() {
    let s = shop();
    block_on(async {
        let mut numbers = vec![];
        for _ in 0..3 {
            let q =
                s.co.crm
                    .create_quote(s.co.owner, s.quote_input(vec![line(s.drill, "1")]))
                    .await
                    .unwrap();
            numbers.push(q.quote.value.number);
        }
        assert_eq!(
            numbers,
            ["QT-2026-000001", "QT-2026-000002", "QT-2026-000003"]
        );
    });
}

#[test]
fn quote_states_move_only_by_the_typed_transitions() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let owner = s.co.owner;
        let q = crm
            .create_quote(owner, s.quote_input(vec![line(s.drill, "1")]))
            .await
            .unwrap();
        let id = q.quote.value.id;
        // A draft cannot be accepted before it is sent.
        assert!(matches!(
            crm.quote_event(owner, id, 1, QuoteEvent::Accept).await,
            Err(Error::Invalid { field, .. }) if field == "state"
        ));
        let sent = crm
            .quote_event(owner, id, 1, QuoteEvent::Send)
            .await
            .unwrap();
        assert_eq!(sent.value.state, QuoteState::Sent);
        // A sent quote cannot change until revised.
        assert!(matches!(
            crm.update_quote(owner, id, sent.version, s.quote_input(vec![line(s.drill, "2")]))
                .await,
            Err(Error::Invalid { field, .. }) if field == "state"
        ));
        let draft = crm
            .quote_event(owner, id, sent.version, QuoteEvent::Revise)
            .await
            .unwrap();
        let changed = crm
            .update_quote(
                owner,
                id,
                draft.version,
                s.quote_input(vec![line(s.drill, "2")]),
            )
            .await
            .unwrap();
        assert_eq!(changed.quote.value.gross, d("226.00"));
        assert_eq!(changed.lines.len(), 1);
        assert_eq!(count(&s.co, &QUOTE_LINE).await, 1);
        // Reading at a stale version is a conflict.
        assert!(matches!(
            crm.quote_event(owner, id, draft.version, QuoteEvent::Send)
                .await,
            Err(Error::Conflict(_))
        ));
        let sent = crm
            .quote_event(owner, id, changed.quote.version, QuoteEvent::Send)
            .await
            .unwrap();
        // Converting is order_from_quote's alone.
        assert!(crm
            .quote_event(owner, id, sent.version, QuoteEvent::Convert)
            .await
            .is_err());
        // After its validity, it can no longer be accepted, only expired.
        s.co.clock
            .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 4, 2, 9, 0, 0).unwrap());
        assert!(crm
            .quote_event(owner, id, sent.version, QuoteEvent::Accept)
            .await
            .is_err());
        let expired = crm
            .quote_event(owner, id, sent.version, QuoteEvent::Expire)
            .await
            .unwrap();
        assert_eq!(expired.value.state, QuoteState::Expired);
    });
}

#[test]
fn a_copied_quote_is_a_new_draft_with_the_same_amounts_for_another_customer() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let q = crm
            .create_quote(
                s.co.owner,
                s.quote_input(vec![
                    LineDraft::builder()
                        .product_id(s.drill)
                        .quantity(d("7"))
                        .price(EnteredPrice::Exclusive(d("99.99")))
                        .discount(d("0.03"))
                        .build(),
                    line(s.bolt, "11"),
                ]),
            )
            .await
            .unwrap();
        let other = crm
            .create_customer(
                s.co.owner,
                crm_core::customer::CustomerInput::builder()
                    .name("苏州新联精密有限公司".into())
                    .build(),
                vec![],
            )
            .await
            .unwrap()
            .customer
            .value
            .id;
        let copy = crm
            .copy_quote(s.co.owner, q.quote.value.id, Some(other))
            .await
            .unwrap();
        let (a, b) = (&q.quote.value, &copy.quote.value);
        assert_eq!((a.net, a.tax, a.gross), (b.net, b.tax, b.gross));
        assert_eq!(b.customer_id, other);
        assert_eq!(b.state, QuoteState::Draft);
        assert_eq!(b.copied_from, Some(a.id));
        assert_ne!(a.number, b.number);
        for (x, y) in q.lines.iter().zip(&copy.lines) {
            assert_eq!(
                (x.unit_price, x.discount, x.net, x.tax, x.gross),
                (y.unit_price, y.discount, y.net, y.tax, y.gross)
            );
            assert_eq!(y.customer_id, other);
        }
    });
}

/// Drives a quote to accepted and returns (id, version).
async fn accepted_quote(s: &Shop, lines: Vec<LineDraft>) -> (Uuid, u64, crm_core::sales::Quote) {
    let crm = &s.co.crm;
    let q = crm
        .create_quote(s.co.owner, s.quote_input(lines))
        .await
        .unwrap();
    let id = q.quote.value.id;
    let v = crm
        .quote_event(s.co.owner, id, 1, QuoteEvent::Send)
        .await
        .unwrap()
        .version;
    let acc = crm
        .quote_event(s.co.owner, id, v, QuoteEvent::Accept)
        .await
        .unwrap();
    (id, acc.version, acc.value)
}

#[test]
fn an_order_from_an_accepted_quote_equals_it_to_the_cent_and_converts_it() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let (qid, v, quote) = accepted_quote(
            &s,
            vec![
                LineDraft::builder()
                    .product_id(s.drill)
                    .quantity(d("3.333"))
                    .price(EnteredPrice::Inclusive(d("77.77")))
                    .discount(d("0.015"))
                    .build(),
                line(s.bolt, "0.7"),
            ],
        )
        .await;
        let o = crm.order_from_quote(s.co.owner, qid, v).await.unwrap();
        let order = &o.order.value;
        assert_eq!(
            (order.net, order.tax, order.gross),
            (quote.net, quote.tax, quote.gross)
        );
        assert_eq!(order.quote_id, Some(qid));
        assert_eq!(order.state, OrderState::Draft);
        assert_eq!(order.number, "SO-2026-000001");
        let converted = crm.quote(s.co.owner, qid).await.unwrap().quote;
        assert_eq!(converted.value.state, QuoteState::Converted);
        assert_eq!(converted.value.order_id, Some(order.id));
        // A quote converts once.
        assert!(crm
            .order_from_quote(s.co.owner, qid, converted.version)
            .await
            .is_err());
        assert_eq!(count(&s.co, &SALES_ORDER).await, 1);
    });
}

#[test]
fn an_order_on_a_sent_quote_accepts_and_converts_it_only_while_it_is_valid() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let new_quote = || async {
            crm.create_quote(s.co.owner, s.quote_input(vec![line(s.bolt, "2")]))
                .await
                .unwrap()
        };
        // A draft has not been offered: no order from it.
        let draft = new_quote().await;
        let r = crm
            .order_from_quote(s.co.owner, draft.quote.value.id, draft.quote.version)
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "state"),
            "{r:?}"
        );
        // Sent and valid: the order is the acceptance, one commit converts it.
        let sent = crm
            .quote_event(s.co.owner, draft.quote.value.id, 1, QuoteEvent::Send)
            .await
            .unwrap();
        let o = crm
            .order_from_quote(s.co.owner, draft.quote.value.id, sent.version)
            .await
            .unwrap();
        assert_eq!(o.order.value.gross, sent.value.gross);
        let q = crm
            .quote(s.co.owner, draft.quote.value.id)
            .await
            .unwrap()
            .quote;
        assert_eq!(q.value.state, QuoteState::Converted);
        assert_eq!(q.version, sent.version + 1);
        // Sent but past its validity: refused, nothing written.
        let late = new_quote().await;
        let late_sent = crm
            .quote_event(s.co.owner, late.quote.value.id, 1, QuoteEvent::Send)
            .await
            .unwrap();
        s.co.clock
            .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 4, 2, 9, 0, 0).unwrap());
        let r = crm
            .order_from_quote(s.co.owner, late.quote.value.id, late_sent.version)
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "state"),
            "{r:?}"
        );
        assert_eq!(count(&s.co, &SALES_ORDER).await, 1);
    });
}

#[test]
fn a_discount_within_the_authors_limit_is_approved_on_submission() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let o = crm
            .create_order(
                s.co.owner,
                s.order_input(vec![LineDraft::builder()
                    .product_id(s.drill)
                    .quantity(d("1"))
                    .discount(d("0.05"))
                    .build()]),
            )
            .await
            .unwrap();
        let done = crm
            .submit_order(s.co.owner, o.order.value.id, 1)
            .await
            .unwrap();
        assert_eq!(done.value.state, OrderState::Approved);
        assert_eq!(done.value.approved_by, Some(s.co.owner.employee_id()));
    });
}

#[test]
fn a_discount_beyond_the_limit_waits_for_an_approver_whose_limit_covers_it() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let big = |disc: &str| {
            s.order_input(vec![LineDraft::builder()
                .product_id(s.drill)
                .quantity(d("2"))
                .discount(d(disc))
                .build()])
        };
        // 15 %: beyond the salesperson's 5 %, within the manager's 20 %.
        let o = crm.create_order(s.co.owner, big("0.15")).await.unwrap();
        let id = o.order.value.id;
        let waiting = crm.submit_order(s.co.owner, id, 1).await.unwrap();
        assert_eq!(waiting.value.state, OrderState::AwaitingApproval);
        assert_eq!(waiting.value.approved_by, None);
        // The author holds no approve permission.
        assert!(matches!(
            crm.approve_order(s.co.owner, id, waiting.version).await,
            Err(Error::PermissionDenied(_))
        ));
        let approved = crm
            .approve_order(s.co.manager, id, waiting.version)
            .await
            .unwrap();
        assert_eq!(approved.value.state, OrderState::Approved);
        assert_eq!(approved.value.approved_by, Some(s.co.manager.employee_id()));

        // 30 %: beyond the manager's limit too; only the administrator may approve it.
        let o = crm.create_order(s.co.owner, big("0.30")).await.unwrap();
        let id = o.order.value.id;
        let waiting = crm.submit_order(s.co.owner, id, 1).await.unwrap();
        assert!(matches!(
            crm.approve_order(s.co.manager, id, waiting.version).await,
            Err(Error::PermissionDenied(m)) if m.contains("limit")
        ));
        let approved = crm
            .approve_order(s.co.admin, id, waiting.version)
            .await
            .unwrap();
        assert_eq!(approved.value.state, OrderState::Approved);
    });
}

#[test]
fn changing_an_approved_orders_prices_voids_the_approval_but_changing_terms_does_not() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let lines = vec![LineDraft::builder()
            .product_id(s.drill)
            .quantity(d("2"))
            .discount(d("0.15"))
            .build()];
        let o = crm
            .create_order(s.co.owner, s.order_input(lines.clone()))
            .await
            .unwrap();
        let id = o.order.value.id;
        let w = crm.submit_order(s.co.owner, id, 1).await.unwrap();
        let a = crm
            .approve_order(s.co.manager, id, w.version)
            .await
            .unwrap();
        // Terms only: still approved.
        let mut input = s.order_input(lines.clone());
        input.terms = Some("货到付款".into());
        let t = crm
            .update_order(s.co.owner, id, a.version, input)
            .await
            .unwrap();
        assert_eq!(t.order.value.state, OrderState::Approved);
        assert_eq!(t.order.value.approved_by, Some(s.co.manager.employee_id()));
        // A quantity change: back to draft, approval gone.
        let mut more = lines.clone();
        more[0].quantity = d("3");
        let m = crm
            .update_order(s.co.owner, id, t.order.version, s.order_input(more))
            .await
            .unwrap();
        assert_eq!(m.order.value.state, OrderState::Draft);
        assert_eq!(m.order.value.approved_by, None);
        assert_eq!(count(&s.co, &SALES_ORDER_LINE).await, 1);
        // Submitting again needs approval again.
        let again = crm
            .submit_order(s.co.owner, id, m.order.version)
            .await
            .unwrap();
        assert_eq!(again.value.state, OrderState::AwaitingApproval);
    });
}

#[test]
fn a_new_line_without_a_price_is_offered_the_customers_last_price() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        assert_eq!(
            crm.last_price(s.co.owner, s.customer, s.bolt)
                .await
                .unwrap(),
            None
        );
        let o = crm
            .create_order(
                s.co.owner,
                s.order_input(vec![LineDraft::builder()
                    .product_id(s.bolt)
                    .quantity(d("100"))
                    .price(EnteredPrice::Exclusive(d("8.10")))
                    .build()]),
            )
            .await
            .unwrap();
        // Not yet approved: no last price.
        let q = crm
            .create_quote(s.co.owner, s.quote_input(vec![line(s.bolt, "1")]))
            .await
            .unwrap();
        assert_eq!(q.lines[0].unit_price, d("8.85"));
        crm.submit_order(s.co.owner, o.order.value.id, 1)
            .await
            .unwrap();
        let last = crm
            .last_price(s.co.owner, s.customer, s.bolt)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.price(), EnteredPrice::Exclusive(d("8.10")));
        let q = crm
            .create_quote(s.co.owner, s.quote_input(vec![line(s.bolt, "1")]))
            .await
            .unwrap();
        assert_eq!(q.lines[0].unit_price, d("8.10"));
        assert!(!q.lines[0].price_includes_tax);
    });
}

#[test]
fn bad_lines_get_typed_errors_naming_the_field_and_write_nothing() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let before = [
            count(&s.co, &QUOTE).await,
            count(&s.co, &QUOTE_LINE).await,
            count(&s.co, &SALES_ORDER).await,
            count(&s.co, &SALES_ORDER_LINE).await,
        ];
        let cases: Vec<(LineDraft, &str)> = vec![
            (line(s.drill, "-1"), "lines[0].quantity"),
            (line(s.drill, "0"), "lines[0].quantity"),
            (
                LineDraft::builder()
                    .product_id(s.drill)
                    .quantity(d("1"))
                    .discount(d("1.2"))
                    .build(),
                "lines[0].discount",
            ),
            (line(Uuid::from_u128(42), "1"), "lines[0].product_id"),
            (
                LineDraft::builder()
                    .product_id(s.drill)
                    .quantity(d("1"))
                    .price(EnteredPrice::Exclusive(d("-3")))
                    .build(),
                "lines[0].unit_price",
            ),
            (line(s.drill, "0.0000001"), "lines[0].quantity"),
        ];
        for (bad, field_name) in cases {
            let e = crm
                .create_quote(s.co.owner, s.quote_input(vec![bad.clone()]))
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field, .. } if field == field_name),
                "{field_name}: {e:?}"
            );
            let e = crm
                .create_order(s.co.owner, s.order_input(vec![bad]))
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field, .. } if field == field_name),
                "{field_name}: {e:?}"
            );
        }
        assert!(matches!(
            crm.create_quote(s.co.owner, s.quote_input(vec![])).await,
            Err(Error::Invalid { field, .. }) if field == "lines"
        ));
        let mut early = s.quote_input(vec![line(s.drill, "1")]);
        early.valid_until = date(2026, 1, 1);
        assert!(matches!(
            crm.create_quote(s.co.owner, early).await,
            Err(Error::Invalid { field, .. }) if field == "valid_until"
        ));
        let after = [
            count(&s.co, &QUOTE).await,
            count(&s.co, &QUOTE_LINE).await,
            count(&s.co, &SALES_ORDER).await,
            count(&s.co, &SALES_ORDER_LINE).await,
        ];
        assert_eq!(before, after);
        assert!(count(&s.co, &PRODUCT).await == 2);
    });
}

/// Whether `actor` can read the quote, sees it in a search, and may change it.
fn access(s: &Shop, actor: Actor, quote: Uuid, version: u64) -> (bool, bool, bool) {
    block_on(async {
        let crm = &s.co.crm;
        let read = crm.quote(actor, quote).await.is_ok();
        let listed = crm
            .search_quotes(actor, &DocSearch::default())
            .await
            .unwrap()
            .items
            .iter()
            .any(|q| q.id == quote);
        let write = match crm
            .update_quote(
                actor,
                quote,
                version,
                s.quote_input(vec![line(s.drill, "1")]),
            )
            .await
        {
            Ok(_) => true,
            Err(Error::PermissionDenied(_)) => false,
            Err(e) => panic!("unexpected {e:?}"),
        };
        (read, listed, write)
    })
}

#[test]
fn documents_are_visible_and_writable_as_their_customer_is() {
    let s = shop();
    let co = &s.co;
    // (actor, reads, listed, writes); a successful write bumps the version.
    let expected = [
        (co.owner, true, true, true),
        (co.manager, true, true, true),
        (co.admin, true, true, true),
        (co.shared_person, true, true, true),
        (co.shared_dept_member, true, true, false),
        (co.peer, false, false, false),
        (co.subordinate, false, false, false),
        (co.unrelated, false, false, false),
    ];
    let q = block_on(
        co.crm
            .create_quote(co.owner, s.quote_input(vec![line(s.drill, "1")])),
    )
    .unwrap();
    let id = q.quote.value.id;
    let mut version = 1;
    for (actor, reads, listed, writes) in expected {
        let got = access(&s, actor, id, version);
        assert_eq!(got, (reads, listed, writes), "{actor:?}");
        if got.2 {
            version += 1;
        }
    }
}

#[test]
fn every_sales_operation_is_refused_without_its_permission() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let org = crm.org().await.unwrap();
        let me = org.employee(s.co.owner.employee_id()).unwrap();
        // A colleague in the owner's place with only the customer permissions.
        let bare = crm
            .create_employee(
                s.co.admin,
                NewEmployee::builder()
                    .code("bare".into())
                    .name("周九".into())
                    .department_id(me.department_id)
                    .manager_id(Some(s.co.owner.employee_id()))
                    .role_ids(std::collections::BTreeSet::from([s.co.full_role]))
                    .build(),
            )
            .await
            .unwrap();
        let bare = Actor::new(bare.id);
        let q = crm
            .create_quote(s.co.owner, s.quote_input(vec![line(s.drill, "1")]))
            .await
            .unwrap();
        let o = crm
            .create_order(s.co.owner, s.order_input(vec![line(s.drill, "1")]))
            .await
            .unwrap();
        let (qid, oid) = (q.quote.value.id, o.order.value.id);
        let denied = |r: Result<(), Error>| matches!(r, Err(Error::PermissionDenied(_)));
        assert!(denied(
            crm.create_quote(bare, s.quote_input(vec![line(s.drill, "1")]))
                .await
                .map(|_| ())
        ));
        assert!(denied(crm.quote(bare, qid).await.map(|_| ())));
        assert!(denied(
            crm.quote_event(bare, qid, 1, QuoteEvent::Send)
                .await
                .map(|_| ())
        ));
        assert!(denied(crm.copy_quote(bare, qid, None).await.map(|_| ())));
        assert!(denied(
            crm.search_quotes(bare, &DocSearch::default())
                .await
                .map(|_| ())
        ));
        assert!(denied(
            crm.create_order(bare, s.order_input(vec![line(s.drill, "1")]))
                .await
                .map(|_| ())
        ));
        assert!(denied(crm.order(bare, oid).await.map(|_| ())));
        assert!(denied(crm.submit_order(bare, oid, 1).await.map(|_| ())));
        assert!(denied(crm.approve_order(bare, oid, 1).await.map(|_| ())));
        assert!(denied(crm.reject_order(bare, oid, 1).await.map(|_| ())));
        assert!(denied(crm.cancel_order(bare, oid, 1).await.map(|_| ())));
        assert!(denied(
            crm.search_orders(bare, &DocSearch::default())
                .await
                .map(|_| ())
        ));
        assert!(denied(
            crm.last_price(bare, s.customer, s.drill).await.map(|_| ())
        ));
        assert!(denied(crm.order_from_quote(bare, qid, 1).await.map(|_| ())));
        assert!(denied(
            crm.invoice(bare, Uuid::from_u128(1)).await.map(|_| ())
        ));
        assert!(denied(crm.order_invoicing(bare, oid).await.map(|_| ())));
        assert!(denied(
            crm.issue_invoice(
                bare,
                invoice(oid, "00000071", vec![(o.lines[0].id, d("1"))])
            )
            .await
            .map(|_| ())
        ));
        assert!(denied(
            crm.issue_red_invoice(
                bare,
                RedInvoiceInput::builder()
                    .blue_invoice_id(Uuid::from_u128(1))
                    .code("3100231130".into())
                    .number("00000072".into())
                    .reason("退货".into())
                    .build()
            )
            .await
            .map(|_| ())
        ));
        // Nothing changed.
        assert_eq!(crm.order(s.co.owner, oid).await.unwrap().order.version, 1);
        assert_eq!(crm.quote(s.co.owner, qid).await.unwrap().quote.version, 1);
    });
}

/// An approved order of the given lines; returns it.
async fn approved_order(s: &Shop, lines: Vec<LineDraft>) -> crm_core::service::OrderDoc {
    let crm = &s.co.crm;
    let o = crm
        .create_order(s.co.owner, s.order_input(lines))
        .await
        .unwrap();
    let id = o.order.value.id;
    let sub = crm.submit_order(s.co.owner, id, 1).await.unwrap();
    let v = if sub.value.state == OrderState::Approved {
        sub.version
    } else {
        crm.approve_order(s.co.admin, id, sub.version)
            .await
            .unwrap()
            .version
    };
    let mut doc = crm.order(s.co.owner, id).await.unwrap();
    assert_eq!(doc.order.version, v);
    doc.lines.sort_by_key(|l| l.position);
    doc
}

fn invoice(order: Uuid, number: &str, lines: Vec<(Uuid, Decimal)>) -> InvoiceInput {
    InvoiceInput::builder()
        .order_id(order)
        .kind(InvoiceKind::Special)
        .code("3100231130".into())
        .number(number.into())
        .lines(lines)
        .build()
}

#[test]
fn partial_invoices_add_up_to_the_order_line_to_the_cent() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        // 3 × 0.10 excl. 13 %: the line is net 0.30, tax 0.04 (0.039 rounded once).
        let o = approved_order(
            &s,
            vec![LineDraft::builder()
                .product_id(s.bolt)
                .quantity(d("3"))
                .price(EnteredPrice::Exclusive(d("0.10")))
                .tax_rate(d("0.13"))
                .build()],
        )
        .await;
        let line = o.lines[0].id;
        let oid = o.order.value.id;
        let mut taxes = vec![];
        for n in ["00000001", "00000002", "00000003"] {
            let i = crm
                .issue_invoice(s.co.owner, invoice(oid, n, vec![(line, d("1"))]))
                .await
                .unwrap();
            taxes.push(i.invoice.tax);
        }
        assert_eq!(taxes, [d("0.01"), d("0.01"), d("0.02")]);
        let (invoices, state) = crm.order_invoicing(s.co.owner, oid).await.unwrap();
        assert_eq!(invoices.len(), 3);
        assert_eq!(state.invoiced, state.ordered);
        assert_eq!(state.left, Portion::default());
        assert_eq!(state.ordered.gross, o.order.value.gross);
    });
}

#[test]
fn an_invoice_for_more_than_is_left_is_refused_and_writes_nothing() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let o = approved_order(&s, vec![line(s.drill, "5")]).await;
        let (oid, l) = (o.order.value.id, o.lines[0].id);
        crm.issue_invoice(s.co.owner, invoice(oid, "00000011", vec![(l, d("4"))]))
            .await
            .unwrap();
        let before = (
            count(&s.co, &INVOICE).await,
            count(&s.co, &INVOICE_LINE).await,
        );
        let e = crm
            .issue_invoice(s.co.owner, invoice(oid, "00000012", vec![(l, d("1.5"))]))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { field, .. } if field == "lines[0].quantity"),
            "{e:?}"
        );
        for bad in [d("0"), d("-1")] {
            assert!(matches!(
                crm.issue_invoice(s.co.owner, invoice(oid, "00000012", vec![(l, bad)]))
                    .await,
                Err(Error::Invalid { .. })
            ));
        }
        assert!(matches!(
            crm.issue_invoice(s.co.owner, invoice(oid, "00000012", vec![(Uuid::from_u128(9), d("1"))]))
                .await,
            Err(Error::Invalid { field, .. }) if field == "lines[0].order_line_id"
        ));
        assert_eq!(
            before,
            (
                count(&s.co, &INVOICE).await,
                count(&s.co, &INVOICE_LINE).await
            )
        );
        // An invoiced order no longer changes.
        let v = crm.order(s.co.owner, oid).await.unwrap().order.version;
        assert!(matches!(
            crm.update_order(s.co.owner, oid, v, s.order_input(vec![line(s.drill, "6")])).await,
            Err(Error::Invalid { field, .. }) if field == "state"
        ));
    });
}

#[test]
fn over_invoicing_is_allowed_only_by_the_policy() {
    let s = shop();
    let crm = crm_core::Crm::new(s.co.crm.store().clone())
        .with_clock(s.co.clock.clone())
        .with_sales_policy(SalesPolicy {
            allow_over_invoicing: true,
            ..SalesPolicy::default()
        });
    block_on(async {
        let o = approved_order(&s, vec![line(s.drill, "2")]).await;
        let i = crm
            .issue_invoice(
                s.co.owner,
                invoice(o.order.value.id, "00000021", vec![(o.lines[0].id, d("3"))]),
            )
            .await
            .unwrap();
        assert_eq!(i.invoice.gross, d("339.00"));
        let (_, state) = crm
            .order_invoicing(s.co.owner, o.order.value.id)
            .await
            .unwrap();
        assert_eq!(state.left.quantity, d("-1"));
    });
}

#[test]
fn a_draft_order_is_not_invoiced() {
    let s = shop();
    block_on(async {
        let o =
            s.co.crm
                .create_order(s.co.owner, s.order_input(vec![line(s.drill, "1")]))
                .await
                .unwrap();
        assert!(matches!(
            s.co.crm
                .issue_invoice(
                    s.co.owner,
                    invoice(o.order.value.id, "00000031", vec![(o.lines[0].id, d("1"))])
                )
                .await,
            Err(Error::Invalid { field, .. }) if field == "order_id"
        ));
    });
}

#[test]
fn an_invoice_number_is_unique_within_its_code() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let o = approved_order(&s, vec![line(s.drill, "5")]).await;
        let (oid, l) = (o.order.value.id, o.lines[0].id);
        let first = crm
            .issue_invoice(s.co.owner, invoice(oid, "00000041", vec![(l, d("1"))]))
            .await
            .unwrap();
        let e = crm
            .issue_invoice(s.co.owner, invoice(oid, "00000041", vec![(l, d("1"))]))
            .await
            .unwrap_err();
        match e {
            Error::Duplicate { rule, existing, .. } => {
                assert_eq!(rule, "invoice_code_number");
                assert!(existing.unwrap().contains(&first.invoice.id.to_string()));
            }
            e => panic!("{e:?}"),
        }
        // The same number under another code is another invoice.
        let mut other = invoice(oid, "00000041", vec![(l, d("1"))]);
        other.code = "3100231131".into();
        crm.issue_invoice(s.co.owner, other).await.unwrap();
        // A malformed number is refused before anything is looked up.
        assert!(matches!(
            crm.issue_invoice(s.co.owner, invoice(oid, "4100", vec![(l, d("1"))])).await,
            Err(Error::Invalid { field, .. }) if field == "number"
        ));
    });
}

#[test]
fn a_red_letter_invoice_reverses_part_of_a_blue_one_and_the_rest_later_to_the_cent() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let o = approved_order(
            &s,
            vec![
                LineDraft::builder()
                    .product_id(s.drill)
                    .quantity(d("7"))
                    .price(EnteredPrice::Inclusive(d("33.33")))
                    .build(),
                line(s.bolt, "3"),
            ],
        )
        .await;
        let oid = o.order.value.id;
        let blue = crm
            .issue_invoice(
                s.co.owner,
                invoice(
                    oid,
                    "00000051",
                    vec![(o.lines[0].id, d("7")), (o.lines[1].id, d("3"))],
                ),
            )
            .await
            .unwrap();
        assert_eq!(blue.invoice.gross, o.order.value.gross);
        let red = |number: &str, lines: Option<Vec<(Uuid, Decimal)>>| {
            let mut r = RedInvoiceInput::builder()
                .blue_invoice_id(blue.invoice.id)
                .code("3100231130".into())
                .number(number.into())
                .reason("退货".into())
                .build();
            r.lines = lines;
            r
        };
        let part = crm
            .issue_red_invoice(
                s.co.owner,
                red("00000052", Some(vec![(blue.lines[0].id, d("2"))])),
            )
            .await
            .unwrap();
        assert_eq!(part.invoice.red_of, Some(blue.invoice.id));
        assert_eq!(part.lines[0].quantity, d("-2"));
        assert!(part.invoice.gross < Decimal::ZERO);
        let (_, state) = crm.order_invoicing(s.co.owner, oid).await.unwrap();
        assert_eq!(state.lines[0].left.quantity, d("2"));
        // Reverse more than is left of the line: refused.
        assert!(matches!(
            crm.issue_red_invoice(s.co.owner, red("00000053", Some(vec![(blue.lines[0].id, d("6"))])))
                .await,
            Err(Error::Invalid { field, .. }) if field == "lines[0].quantity"
        ));
        // Everything else: the blue invoice and its reversals cancel out exactly.
        let rest = crm
            .issue_red_invoice(s.co.owner, red("00000053", None))
            .await
            .unwrap();
        assert_eq!(
            blue.invoice.gross + part.invoice.gross + rest.invoice.gross,
            Decimal::ZERO
        );
        assert_eq!(
            blue.invoice.tax + part.invoice.tax + rest.invoice.tax,
            Decimal::ZERO
        );
        let (invoices, state) = crm.order_invoicing(s.co.owner, oid).await.unwrap();
        assert_eq!(invoices.len(), 3);
        assert_eq!(state.invoiced, Portion::default());
        assert_eq!(state.left, state.ordered);
        assert!(matches!(
            crm.issue_red_invoice(s.co.owner, red("00000054", None)).await,
            Err(Error::Invalid { field, .. }) if field == "lines"
        ));
        // And it can be invoiced again, in full.
        let again = crm
            .issue_invoice(
                s.co.owner,
                invoice(
                    oid,
                    "00000055",
                    vec![(o.lines[0].id, d("7")), (o.lines[1].id, d("3"))],
                ),
            )
            .await
            .unwrap();
        assert_eq!(again.invoice.gross, o.order.value.gross);
    });
}

#[test]
fn invoices_are_visible_as_their_order_is() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let o = approved_order(&s, vec![line(s.drill, "1")]).await;
        let i = crm
            .issue_invoice(
                s.co.owner,
                invoice(o.order.value.id, "00000061", vec![(o.lines[0].id, d("1"))]),
            )
            .await
            .unwrap();
        assert!(crm.invoice(s.co.manager, i.invoice.id).await.is_ok());
        assert!(crm
            .invoice(s.co.shared_dept_member, i.invoice.id)
            .await
            .is_ok());
        for outsider in [s.co.peer, s.co.unrelated] {
            assert!(matches!(
                crm.invoice(outsider, i.invoice.id).await,
                Err(Error::PermissionDenied(_))
            ));
            assert!(matches!(
                crm.order_invoicing(outsider, o.order.value.id).await,
                Err(Error::PermissionDenied(_))
            ));
            assert!(matches!(
                crm.issue_invoice(
                    outsider,
                    invoice(o.order.value.id, "00000062", vec![(o.lines[0].id, d("1"))])
                )
                .await,
                Err(Error::PermissionDenied(_))
            ));
        }
    });
}

#[test]
fn a_parcel_is_found_by_number_order_or_invoice_and_only_by_those_who_see_its_order() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let o = approved_order(&s, vec![line(s.drill, "2")]).await;
        let oid = o.order.value.id;
        let i = crm
            .issue_invoice(
                s.co.owner,
                invoice(oid, "00000081", vec![(o.lines[0].id, d("2"))]),
            )
            .await
            .unwrap();
        let goods = crm
            .add_tracking(
                s.co.owner,
                TrackingInput::builder()
                    .carrier("顺丰".into())
                    .tracking_number("sf 1234 5678 9012".into())
                    .order_id(oid)
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(goods.tracking_number, "SF123456789012");
        // The invoice posted separately: its order is found from it.
        let papers = crm
            .add_tracking(
                s.co.shared_dept_member,
                TrackingInput::builder()
                    .carrier("EMS".into())
                    .tracking_number("EA123456789CN".into())
                    .invoice_id(i.invoice.id)
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(papers.order_id, Some(oid));
        let t1 = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 3, 8, 0, 0).unwrap();
        let t0 = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 18, 0, 0).unwrap();
        crm.add_tracking_event(s.co.owner, goods.id, t1, "运输中", Some("杭州转运中心"))
            .await
            .unwrap();
        crm.add_tracking_event(s.co.owner, goods.id, t0, "已揽收", None)
            .await
            .unwrap();
        let by_number = crm
            .find_tracking(
                s.co.manager,
                &TrackingLookup::Number("SF-1234-5678-9012".into()),
            )
            .await
            .unwrap();
        assert_eq!(by_number.len(), 1);
        let statuses: Vec<&str> = by_number[0]
            .events
            .iter()
            .map(|e| e.status.as_str())
            .collect();
        assert_eq!(statuses, ["已揽收", "运输中"]);
        let by_order = crm
            .find_tracking(s.co.owner, &TrackingLookup::Order(oid))
            .await
            .unwrap();
        assert_eq!(by_order.len(), 2);
        let by_invoice = crm
            .find_tracking(s.co.owner, &TrackingLookup::Invoice(i.invoice.id))
            .await
            .unwrap();
        assert_eq!(by_invoice[0].tracking.id, papers.id);
        // Those who do not see the order find nothing and may not add to it.
        assert!(crm
            .find_tracking(s.co.unrelated, &TrackingLookup::Order(oid))
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            crm.add_tracking_event(s.co.unrelated, goods.id, t1, "已签收", None)
                .await,
            Err(Error::PermissionDenied(_))
        ));
        // The same number at the same carrier is refused.
        assert!(matches!(
            crm.add_tracking(
                s.co.owner,
                TrackingInput::builder()
                    .carrier("顺丰".into())
                    .tracking_number("SF123456789012".into())
                    .order_id(oid)
                    .build(),
            )
            .await,
            Err(Error::Duplicate { .. })
        ));
        assert!(matches!(
            crm.add_tracking(
                s.co.owner,
                TrackingInput::builder()
                    .carrier("顺丰".into())
                    .tracking_number("SF999".into())
                    .order_id(oid)
                    .build(),
            )
            .await,
            Err(Error::Invalid { field, .. }) if field == "tracking_number"
        ));
    });
}

#[test]
fn print_renders_the_default_contract_with_the_stored_figures_and_capitals() {
    use crm_core::print::PrintTemplate;
    use crm_core::settings::CompanyProfile;
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        crm.set_company_profile(
            s.co.admin,
            CompanyProfile::builder()
                .name("华东贸易有限公司".into())
                .address(Some("上海市浦东新区世纪大道100号".into()))
                .bank_name(Some("中国工商银行上海分行".into()))
                .bank_account(Some("1001 2345 6789 0123".into()))
                .build(),
        )
        .await
        .unwrap();
        // 3 × 113.00 incl. + 2.5 × 8.85 excl. 4 % off (as in the quote test): 362.15.
        let o = crm
            .create_order(
                s.co.owner,
                s.order_input(vec![
                    line(s.drill, "3"),
                    LineDraft::builder()
                        .product_id(s.bolt)
                        .quantity(d("2.5"))
                        .discount(d("0.04"))
                        .build(),
                ]),
            )
            .await
            .unwrap();
        let html = crm
            .print_contract(
                s.co.owner,
                o.order.value.id,
                &PrintTemplate::default_contract(),
            )
            .await
            .unwrap();
        for expected in [
            "销售合同",
            "SO-2026-000001",
            "华东贸易有限公司",
            "上海申达机电有限公司",
            "中国工商银行上海分行",
            "<td class=\"num\">300.00</td>",
            "<td class=\"num\">39.00</td>",
            "<td class=\"num\">339.00</td>",
            "<td class=\"num\">21.24</td>",
            "<td class=\"num\">4%</td>",
            "<td class=\"num\">9%</td>",
            "<td class=\"num\">362.15</td>",
            "叁佰陆拾贰元壹角伍分",
            "¥362.15",
            "@media print",
        ] {
            assert!(html.contains(expected), "missing {expected}:\n{html}");
        }
        assert_eq!(o.order.value.gross, d("362.15"));
        // The quote prints too.
        let q = crm
            .create_quote(s.co.owner, s.quote_input(vec![line(s.drill, "1")]))
            .await
            .unwrap();
        let html = crm
            .print_quote(
                s.co.owner,
                q.quote.value.id,
                &PrintTemplate::default_quote(),
            )
            .await
            .unwrap();
        assert!(
            html.contains("报价单") && html.contains("壹佰壹拾叁元整"),
            "{html}"
        );
        // Printing is reading: those who cannot see the order cannot print it.
        assert!(matches!(
            crm.print_contract(
                s.co.unrelated,
                o.order.value.id,
                &PrintTemplate::default_contract()
            )
            .await,
            Err(Error::PermissionDenied(_))
        ));
    });
}

#[test]
fn an_integrators_template_is_used_escaped_and_checked() {
    use crm_core::print::PrintTemplate;
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let cust = crm
            .create_customer(
                s.co.owner,
                crm_core::customer::CustomerInput::builder()
                    .name("<b>恶意</b>公司".into())
                    .build(),
                vec![],
            )
            .await
            .unwrap()
            .customer
            .value
            .id;
        let mut input = s.quote_input(vec![line(s.bolt, "10")]);
        input.customer_id = cust;
        let q = crm.create_quote(s.co.owner, input).await.unwrap();
        let t = PrintTemplate::new(
            "{{ customer.name }}|{% for l in lines %}{{ l.quantity }}×{{ l.unit_price_exclusive }}={{ l.gross }}{% endfor %}|{{ totals.gross_capitals }}",
        )
        .unwrap();
        let out = crm
            .print_quote(s.co.owner, q.quote.value.id, &t)
            .await
            .unwrap();
        // 10 × 8.85 = 88.50 net, 9 % = 7.97 tax (7.965 rounded half up), 96.47 gross.
        assert_eq!(
            out,
            "&lt;b&gt;恶意&lt;&#x2f;b&gt;公司|10×8.85=96.47|玖拾陆元肆角柒分"
        );
        assert!(matches!(
            PrintTemplate::new("{% for l in lines %}"),
            Err(Error::Invalid { field, .. }) if field == "template"
        ));
        let unknown = PrintTemplate::new("{{ nothing.here }}").unwrap();
        assert!(matches!(
            crm.print_quote(s.co.owner, q.quote.value.id, &unknown).await,
            Err(Error::Invalid { field, .. }) if field == "template"
        ));
    });
}

fn receipt(customer: Uuid, account: Uuid, amount: &str) -> ReceiptInput {
    ReceiptInput::builder()
        .customer_id(customer)
        .account_id(account)
        .method("银行转账".into())
        .amount(d(amount))
        .build()
}

async fn bank(s: &Shop, name: &str) -> Uuid {
    s.co.crm
        .create_cash_account(s.co.admin, name, true, "CNY", Some("6222 0000 1111"))
        .await
        .unwrap()
        .id
}

#[test]
fn a_foreign_receipt_converts_at_its_dates_rate_keeping_fee_and_exchange_difference() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let acct = bank(&s, "中行美元户").await;
        crm.set_exchange_rate(s.co.admin, "USD", date(2026, 3, 2), d("7.1036"))
            .await
            .unwrap();
        let mut input = receipt(s.customer, acct, "1000.00");
        input.currency = "USD".into();
        input.fee_cny = d("15.00");
        input.received_cny = Some(d("7080.60"));
        let r = crm
            .record_receipt(s.co.shared_dept_member, input)
            .await
            .unwrap();
        let r = r.receipt.value;
        assert_eq!((r.rate, r.amount_cny), (d("7.1036"), d("7103.60")));
        assert_eq!(r.exchange_difference, d("8.00"));
        assert_eq!(
            r.amount_cny,
            r.received_cny + r.fee_cny + r.exchange_difference
        );
        assert_eq!(r.unallocated(), d("7103.60"));
        assert_eq!(r.number, "RC-2026-000001");
    });
}

#[test]
fn bad_receipts_get_typed_errors_and_write_nothing() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let acct = bank(&s, "工行基本户").await;
        let o = approved_order(&s, vec![line(s.drill, "1")]).await;
        let before = count(&s.co, &crm_core::finance::RECEIPT).await;
        let mut usd = receipt(s.customer, acct, "100");
        usd.currency = "USD".into();
        let cases: Vec<(ReceiptInput, &str)> = vec![
            (usd, "exchange_rate"),
            (receipt(s.customer, acct, "0"), "amount"),
            (receipt(s.customer, acct, "-5"), "amount"),
            (receipt(s.customer, acct, "1.001"), "amount"),
            (receipt(s.customer, Uuid::from_u128(5), "10"), "account_id"),
            (
                ReceiptInput {
                    allocations: vec![(o.order.value.id, d("113.01"))],
                    ..receipt(s.customer, acct, "500")
                },
                "allocations[0].amount",
            ),
            (
                ReceiptInput {
                    allocations: vec![(o.order.value.id, d("100"))],
                    ..receipt(s.customer, acct, "50")
                },
                "allocations",
            ),
        ];
        for (input, field_name) in cases {
            let e = crm.record_receipt(s.co.owner, input).await.unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field, .. } if field == field_name),
                "{field_name}: {e:?}"
            );
        }
        // A method outside a non-empty list is refused.
        crm.add_option(
            s.co.admin,
            crm_core::settings::OptionCategory::PaymentMethod,
            "银行转账",
        )
        .await
        .unwrap();
        let mut cash = receipt(s.customer, acct, "10");
        cash.method = "现金".into();
        assert!(matches!(
            crm.record_receipt(s.co.owner, cash).await,
            Err(Error::Invalid { field, .. }) if field == "method"
        ));
        assert_eq!(before, count(&s.co, &crm_core::finance::RECEIPT).await);
        assert_eq!(
            count(&s.co, &crm_core::finance::RECEIPT_ALLOCATION).await,
            0
        );
    });
}

#[test]
fn an_advance_waits_unapplied_and_is_later_applied_over_several_orders() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let acct = bank(&s, "工行基本户").await;
        let adv = crm
            .record_receipt(s.co.owner, receipt(s.customer, acct, "500.00"))
            .await
            .unwrap();
        let as_of = date(2026, 3, 2);
        let r = &crm
            .receivables(s.co.owner, as_of, Some(s.customer))
            .await
            .unwrap()[0];
        assert_eq!(
            (r.received, r.unapplied, r.balance),
            (d("500.00"), d("500.00"), d("-500.00"))
        );
        let a = approved_order(&s, vec![line(s.drill, "2")]).await; // 226.00
        let b = approved_order(&s, vec![line(s.drill, "3")]).await; // 339.00
        let applied = crm
            .apply_receipt(
                s.co.owner,
                adv.receipt.value.id,
                &[
                    (a.order.value.id, d("226.00")),
                    (b.order.value.id, d("274.00")),
                ],
            )
            .await
            .unwrap();
        assert_eq!(applied.receipt.value.unallocated(), Decimal::ZERO);
        assert_eq!(applied.allocations.len(), 2);
        // Nothing left to apply.
        assert!(matches!(
            crm.apply_receipt(s.co.owner, adv.receipt.value.id, &[(b.order.value.id, d("1"))]).await,
            Err(Error::Invalid { field, .. }) if field == "allocations"
        ));
        let r = &crm
            .receivables(s.co.owner, as_of, Some(s.customer))
            .await
            .unwrap()[0];
        assert_eq!(
            (r.due, r.received, r.unapplied),
            (d("565.00"), d("500.00"), d("0"))
        );
        assert_eq!(r.balance, d("65.00"));
        assert_eq!(r.ageing.total() - r.unapplied, r.balance);
    });
}

#[test]
fn receivables_keep_the_identity_and_age_what_is_outstanding() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let acct = bank(&s, "工行基本户").await;
        crm.set_opening_balance(s.co.owner, s.customer, d("1000.00"), date(2025, 11, 30))
            .await
            .unwrap();
        // An order in March (today in the fixture's clock), paid in part, partly credited.
        let o = approved_order(&s, vec![line(s.drill, "4")]).await; // 452.00
        let oid = o.order.value.id;
        let blue = crm
            .issue_invoice(
                s.co.owner,
                invoice(oid, "00000091", vec![(o.lines[0].id, d("4"))]),
            )
            .await
            .unwrap();
        crm.issue_red_invoice(
            s.co.owner,
            RedInvoiceInput::builder()
                .blue_invoice_id(blue.invoice.id)
                .code("3100231130".into())
                .number("00000092".into())
                .reason("退货".into())
                .lines(vec![(blue.lines[0].id, d("1"))])
                .build(),
        )
        .await
        .unwrap();
        let mut pay = receipt(s.customer, acct, "300.00");
        pay.allocations = vec![(oid, d("300.00"))];
        crm.record_receipt(s.co.owner, pay).await.unwrap();
        crm.record_receipt(s.co.owner, receipt(s.customer, acct, "50.00"))
            .await
            .unwrap();
        let as_of = date(2026, 4, 15);
        let r = &crm.receivables(s.co.manager, as_of, None).await.unwrap()[0];
        assert_eq!(r.opening, d("1000.00"));
        assert_eq!(r.due, d("452.00"));
        assert_eq!(r.credited, d("113.00"));
        assert_eq!(r.received, d("350.00"));
        assert_eq!(r.balance, r.opening + r.due - r.received - r.credited);
        assert_eq!(r.balance, d("989.00"));
        // The order (44 days old) owes 452 − 113 − 300 = 39; the opening balance is 136 days old.
        assert_eq!(r.ageing.days_31_60, d("39.00"));
        assert_eq!(r.ageing.over_90, d("1000.00"));
        assert_eq!(r.unapplied, d("50.00"));
        assert_eq!(r.ageing.total() - r.unapplied, r.balance);
        // The statement ends at the same balance.
        let st = crm
            .customer_statement(s.co.owner, s.customer)
            .await
            .unwrap();
        assert_eq!(st.last().unwrap().balance, r.balance);
        assert_eq!(st[0].entry, "opening");
        // Those who do not see the customer see no receivable of it.
        assert!(crm
            .receivables(s.co.unrelated, as_of, None)
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            crm.receivables(s.co.unrelated, as_of, Some(s.customer))
                .await,
            Err(Error::PermissionDenied(_))
        ));
    });
}

#[derive(Debug, Clone)]
enum Step {
    Order(u8),
    Invoice(u8, u8),
    Red(u8),
    Receipt(u32, Option<u8>),
    Apply(u8, u8),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (1u8..6).prop_map(Step::Order),
        (any::<u8>(), 1u8..4).prop_map(|(o, q)| Step::Invoice(o, q)),
        any::<u8>().prop_map(Step::Red),
        (1u32..100_000, proptest::option::of(any::<u8>())).prop_map(|(a, o)| Step::Receipt(a, o)),
        (any::<u8>(), any::<u8>()).prop_map(|(r, o)| Step::Apply(r, o)),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn the_receivables_identity_holds_after_every_step(steps in proptest::collection::vec(step(), 1..14)) {
        let s = shop();
        block_on(async {
            let crm = &s.co.crm;
            let acct = bank(&s, "工行基本户").await;
            crm.set_opening_balance(s.co.owner, s.customer, d("88.88"), date(2026, 1, 5)).await.unwrap();
            let mut orders: Vec<crm_core::service::OrderDoc> = vec![];
            let mut invoices: Vec<crm_core::service::InvoiceDoc> = vec![];
            let mut receipts: Vec<Uuid> = vec![];
            let mut n = 100;
            for st in steps {
                n += 1;
                // Refusals (nothing left, too much) are fine: what matters is that the books
                // still balance after each step, whether it was done or refused.
                match st {
                    Step::Order(q) => orders.push(approved_order(&s, vec![line(s.bolt, &q.to_string())]).await),
                    Step::Invoice(o, q) if !orders.is_empty() => {
                        let o = &orders[o as usize % orders.len()];
                        if let Ok(i) = crm.issue_invoice(s.co.owner, invoice(o.order.value.id, &format!("{n:08}"), vec![(o.lines[0].id, Decimal::from(q))])).await {
                            invoices.push(i);
                        }
                    }
                    Step::Red(i) if !invoices.is_empty() => {
                        let i = &invoices[i as usize % invoices.len()];
                        let _ = crm.issue_red_invoice(s.co.owner, RedInvoiceInput::builder()
                            .blue_invoice_id(i.invoice.id).code("3100231130".into())
                            .number(format!("{n:08}")).reason("退货".into()).build()).await;
                    }
                    Step::Receipt(cents, alloc) => {
                        let mut r = receipt(s.customer, acct, &Decimal::new(i64::from(cents), 2).to_string());
                        if let (Some(o), false) = (alloc, orders.is_empty()) {
                            let o = &orders[o as usize % orders.len()];
                            r.allocations = vec![(o.order.value.id, Decimal::new(i64::from(cents) / 2 + 1, 2))];
                        }
                        if let Ok(r) = crm.record_receipt(s.co.owner, r).await {
                            receipts.push(r.receipt.value.id);
                        }
                    }
                    Step::Apply(r, o) if !receipts.is_empty() && !orders.is_empty() => {
                        let r = receipts[r as usize % receipts.len()];
                        let o = &orders[o as usize % orders.len()];
                        let _ = crm.apply_receipt(s.co.owner, r, &[(o.order.value.id, d("1.00"))]).await;
                    }
                    _ => {}
                }
                // The report against the raw records.
                let store = crm.store();
                let all = |k: &'static Kind| {
                    let q = Query::all(k);
                    async move { store.query(&q).await }
                };
                let due: Decimal = all(&SALES_ORDER).await.unwrap().records.iter()
                    .map(|r| crm_core::sales::SalesOrder::from_record(r).unwrap())
                    .filter(|o| o.state == OrderState::Approved).map(|o| o.gross).sum();
                let credited: Decimal = all(&INVOICE).await.unwrap().records.iter()
                    .map(|r| crm_core::sales::Invoice::from_record(r).unwrap())
                    .filter(|i| i.is_red()).map(|i| -i.gross).sum();
                let received: Decimal = all(&crm_core::finance::RECEIPT).await.unwrap().records.iter()
                    .map(|r| crm_core::finance::Receipt::from_record(r).unwrap().amount_cny).sum();
                let allocated: Decimal = all(&crm_core::finance::RECEIPT_ALLOCATION).await.unwrap().records.iter()
                    .map(|r| crm_core::finance::Allocation::from_record(r).unwrap().amount_cny).sum();
                let rep = &crm.receivables(s.co.owner, date(2026, 6, 30), Some(s.customer)).await.unwrap()[0];
                assert_eq!((rep.due, rep.credited, rep.received), (due, credited, received));
                assert_eq!(rep.balance, d("88.88") + due - received - credited);
                assert_eq!(rep.ageing.total() - rep.unapplied, rep.balance);
                assert_eq!(rep.unapplied, received - allocated);
                let st = crm.customer_statement(s.co.owner, s.customer).await.unwrap();
                assert_eq!(st.last().unwrap().balance, rep.balance);
            }
        });
    }
}

#[test]
fn performance_and_product_sales_count_sales_only_and_only_what_the_actor_sees() {
    let s = shop();
    block_on(async {
        let crm = &s.co.crm;
        let acct = bank(&s, "工行基本户").await;
        let a = approved_order(&s, vec![line(s.drill, "2"), line(s.bolt, "10")]).await; // 226.00 + 96.47
        let b = approved_order(&s, vec![line(s.drill, "1")]).await; // 113.00
                                                                    // A draft and a cancelled order do not count.
        crm.create_order(s.co.owner, s.order_input(vec![line(s.drill, "50")]))
            .await
            .unwrap();
        let c = approved_order(&s, vec![line(s.bolt, "7")]).await;
        crm.cancel_order(s.co.owner, c.order.value.id, c.order.version)
            .await
            .unwrap();
        let mut pay = receipt(s.customer, acct, "200.00");
        pay.allocations = vec![(b.order.value.id, d("113.00"))];
        crm.record_receipt(s.co.owner, pay).await.unwrap();
        let (from, to) = (date(2026, 3, 1), date(2026, 3, 31));

        let perf = crm.sales_performance(s.co.manager, from, to).await.unwrap();
        assert_eq!(perf.by_employee.len(), 1, "{perf:?}");
        let p = &perf.by_employee[0];
        assert_eq!(p.employee_id, s.co.owner.employee_id());
        assert_eq!(p.month, "2026-03");
        assert_eq!(p.orders, 2);
        assert_eq!(p.gross, a.order.value.gross + b.order.value.gross);
        assert_eq!(p.gross, d("435.47"));
        assert_eq!(p.received, d("200.00"));
        assert_eq!(perf.by_department.len(), 1);
        assert_eq!(perf.by_department[0].department_name, "华北组");
        assert_eq!(perf.by_department[0].gross, p.gross);

        let products = crm.product_sales(s.co.owner, from, to).await.unwrap();
        let summary: Vec<(&str, Decimal, Decimal)> = products
            .iter()
            .map(|r| (r.code.as_str(), r.quantity, r.gross))
            .collect();
        assert_eq!(
            summary,
            [("P-1", d("3"), d("339.00")), ("P-2", d("10"), d("96.47"))]
        );
        // Outside the period, nothing.
        assert!(crm
            .product_sales(s.co.owner, date(2026, 4, 1), date(2026, 4, 30))
            .await
            .unwrap()
            .is_empty());
        // Those who see none of these customers see no figures.
        assert!(crm
            .sales_performance(s.co.peer, from, to)
            .await
            .unwrap()
            .by_employee
            .is_empty());
        assert!(crm
            .product_sales(s.co.unrelated, from, to)
            .await
            .unwrap()
            .is_empty());
        // An order with receipts applied keeps its prices and is not cancelled.
        let v = crm
            .order(s.co.owner, b.order.value.id)
            .await
            .unwrap()
            .order
            .version;
        let reprice = s.order_input(vec![line(s.drill, "4")]);
        assert!(matches!(
            crm.update_order(s.co.owner, b.order.value.id, v, reprice.clone()).await,
            Err(Error::Invalid { field, .. }) if field == "state"
        ));
        assert!(matches!(
            crm.cancel_order(s.co.owner, b.order.value.id, v).await,
            Err(Error::Invalid { field, .. }) if field == "state"
        ));
        // A repriced order leaves the figures until it is approved again.
        let v = crm
            .order(s.co.owner, a.order.value.id)
            .await
            .unwrap()
            .order
            .version;
        crm.update_order(s.co.owner, a.order.value.id, v, reprice)
            .await
            .unwrap();
        let p = crm.sales_performance(s.co.owner, from, to).await.unwrap();
        assert_eq!(p.by_employee[0].orders, 1);
        assert_eq!(p.by_employee[0].gross, b.order.value.gross);
    });
}
