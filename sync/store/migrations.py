"""Numbered schema migrations, applied at start-up in one transaction each.

Never edit a migration that has shipped: add the next number. ``PRAGMA user_version`` records the
last one applied.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        -- One counter for every mutable row: each writing transaction takes the next value and
        -- stamps it on the rows it touches, so a reader asks "what moved since N?" with one
        -- indexed query.
        CREATE TABLE change_counter (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            value INTEGER NOT NULL
        );
        INSERT INTO change_counter (id, value) VALUES (1, 0);

        CREATE TABLE daemon_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            number TEXT NOT NULL,
            channel TEXT NOT NULL DEFAULT '',
            payment_status TEXT NOT NULL,
            payment_raw TEXT NOT NULL DEFAULT '',
            fulfillment_status TEXT NOT NULL,
            fulfillment_raw TEXT NOT NULL DEFAULT '',
            lifecycle TEXT NOT NULL,
            lifecycle_raw TEXT NOT NULL DEFAULT '',
            currency TEXT NOT NULL DEFAULT '',
            total TEXT NOT NULL DEFAULT '0',
            customer_name TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            province TEXT NOT NULL DEFAULT '',
            country TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            paid_at TEXT,
            closed_at TEXT,
            cancelled_at TEXT,
            promised_at TEXT,
            raw TEXT NOT NULL DEFAULT '{}',
            raw_hash TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 1,
            change_seq INTEGER NOT NULL,
            UNIQUE (source, external_id)
        );
        CREATE INDEX orders_queue ON orders (lifecycle, created_at DESC, id DESC);
        CREATE INDEX orders_created ON orders (created_at DESC, id DESC);
        CREATE INDEX orders_change_seq ON orders (change_seq);
        CREATE INDEX orders_number ON orders (number);

        CREATE TABLE line_items (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            external_id TEXT NOT NULL,
            sku TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            price TEXT NOT NULL DEFAULT '0',
            UNIQUE (order_id, external_id)
        );

        CREATE TABLE shipments (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            carrier TEXT NOT NULL DEFAULT '',
            carrier_raw TEXT NOT NULL DEFAULT '',
            tracking_number TEXT NOT NULL,
            tracking_url TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending',
            status_raw TEXT NOT NULL DEFAULT '',
            substatus_raw TEXT NOT NULL DEFAULT '',
            shipped_at TEXT,
            last_checkpoint_at TEXT,
            delivered_at TEXT,
            tracked_by TEXT NOT NULL DEFAULT '',
            registered_at TEXT,
            polled_at TEXT,
            raw TEXT NOT NULL DEFAULT '{}',
            version INTEGER NOT NULL DEFAULT 1,
            change_seq INTEGER NOT NULL,
            UNIQUE (source, external_id)
        );
        CREATE INDEX shipments_order ON shipments (order_id);
        CREATE INDEX shipments_tracking ON shipments (tracking_number);
        CREATE INDEX shipments_polling ON shipments (status, polled_at);

        CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY,
            shipment_id INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
            at TEXT,
            at_raw TEXT NOT NULL,
            zoneless INTEGER NOT NULL DEFAULT 0,
            description TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'unknown',
            status_raw TEXT NOT NULL DEFAULT '',
            dedup_key TEXT NOT NULL,
            UNIQUE (shipment_id, dedup_key)
        );

        -- The append-only timeline and audit log. Triggers refuse edits and deletions.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            order_id INTEGER,
            subject_kind TEXT NOT NULL,
            subject_id INTEGER,
            kind TEXT NOT NULL,
            field TEXT NOT NULL DEFAULT '',
            from_value TEXT NOT NULL DEFAULT '',
            to_value TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX events_order ON events (order_id, at);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;

        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            cursor TEXT NOT NULL DEFAULT '',
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            last_error_at TEXT,
            rows_synced INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE escalations (
            id INTEGER PRIMARY KEY,
            timer_id INTEGER NOT NULL,
            rule_id TEXT NOT NULL,
            subject_kind TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            severity TEXT NOT NULL,
            summary TEXT NOT NULL,
            state TEXT NOT NULL,
            level INTEGER NOT NULL DEFAULT 1,
            rules_version TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            deadline_at TEXT NOT NULL,
            acked_at TEXT,
            acked_by TEXT NOT NULL DEFAULT '',
            assignee TEXT NOT NULL DEFAULT '',
            snoozed_until TEXT,
            resolved_at TEXT,
            resolved_by TEXT NOT NULL DEFAULT '',
            resolution TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 1,
            change_seq INTEGER NOT NULL
        );
        CREATE INDEX escalations_open ON escalations (state, deadline_at);
        CREATE INDEX escalations_order ON escalations (order_id);
        CREATE INDEX escalations_change_seq ON escalations (change_seq);

        CREATE TABLE timers (
            id INTEGER PRIMARY KEY,
            rule_id TEXT NOT NULL,
            subject_kind TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            deadline_at TEXT NOT NULL,
            warn_at TEXT,
            next_at TEXT,
            state TEXT NOT NULL,
            rules_version TEXT NOT NULL,
            escalation_id INTEGER REFERENCES escalations (id),
            change_seq INTEGER NOT NULL,
            UNIQUE (rule_id, subject_kind, subject_id)
        );
        CREATE INDEX timers_next ON timers (next_at) WHERE next_at IS NOT NULL;
        CREATE INDEX timers_order ON timers (order_id);

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            escalation_id INTEGER REFERENCES escalations (id),
            channel TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

        -- Look-up by order number, customer name, phone (whole or last four), email and
        -- tracking number. Chinese text is indexed one character a token (see search.py).
        CREATE VIRTUAL TABLE order_search USING fts5 (
            number, name, phone, email, tracking,
            tokenize = "unicode61 remove_diacritics 2"
        );
        """,
    ),
    (
        2,
        """
        -- Courier tracking: the promised delivery day and the signer as the provider reports
        -- them, the provider's own id for a parcel, the polling schedule (next_poll_at), the
        -- last push heard, and when the provider was told to stop following a finished parcel.
        ALTER TABLE shipments ADD COLUMN eta TEXT;
        ALTER TABLE shipments ADD COLUMN signed_by TEXT NOT NULL DEFAULT '';
        ALTER TABLE shipments ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';
        ALTER TABLE shipments ADD COLUMN next_poll_at TEXT;
        ALTER TABLE shipments ADD COLUMN pushed_at TEXT;
        ALTER TABLE shipments ADD COLUMN stopped_at TEXT;
        CREATE INDEX shipments_follow ON shipments (tracked_by, next_poll_at);
        -- Parcels whose rule deadline is near are polled sooner.
        CREATE INDEX timers_subject_deadline ON timers (subject_kind, deadline_at);

        -- Every accepted push, once: a provider repeating a delivery finds its digest here and
        -- changes nothing. The body is kept as received for later inspection.
        CREATE TABLE track_pushes (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            digest TEXT NOT NULL,
            received_at TEXT NOT NULL,
            tracking_number TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL,
            UNIQUE (provider, digest)
        );
        """,
    ),
    (
        3,
        """
        -- Order sources: the circuit breaker's state as last seen, the progress of the run in
        -- flight (rows done, total when the source tells, when it started and ended), and when
        -- the last full reconciliation finished.
        ALTER TABLE sources ADD COLUMN breaker_state TEXT NOT NULL DEFAULT 'closed';
        ALTER TABLE sources ADD COLUMN breaker_changed_at TEXT;
        ALTER TABLE sources ADD COLUMN run_started_at TEXT;
        ALTER TABLE sources ADD COLUMN run_finished_at TEXT;
        ALTER TABLE sources ADD COLUMN run_rows INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN run_total INTEGER;
        ALTER TABLE sources ADD COLUMN run_full INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN reconciled_at TEXT;

        -- Shop webhooks, queued before they are answered and applied afterwards. A delivery
        -- the shop repeats finds its id here and is not queued twice.
        CREATE TABLE webhook_inbox (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            topic TEXT NOT NULL DEFAULT '',
            body BLOB NOT NULL,
            received_at TEXT NOT NULL,
            processed_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            UNIQUE (source, delivery_id)
        );
        CREATE INDEX webhook_inbox_pending ON webhook_inbox (id) WHERE processed_at IS NULL;
        """,
    ),
    (
        4,
        """
        -- Warehouse stages, as ERP and warehouse exports report them, so rules can time them.
        ALTER TABLE orders ADD COLUMN reserved_at TEXT;
        ALTER TABLE orders ADD COLUMN picked_at TEXT;
        ALTER TABLE orders ADD COLUMN packed_at TEXT;
        ALTER TABLE orders ADD COLUMN handed_over_at TEXT;

        -- Export files dropped in a watched folder or imported by hand, one row per content
        -- (so the same file dropped twice is imported once). The row is written in the same
        -- transaction as each batch of the file's rows: last_line is where an interrupted import
        -- resumes, and rows_done / rows_total / started_at give its progress.
        CREATE TABLE import_files (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            file_name TEXT NOT NULL,
            profile TEXT NOT NULL,
            size INTEGER NOT NULL,
            rows_total INTEGER NOT NULL,
            rows_done INTEGER NOT NULL DEFAULT 0,
            rows_at_start INTEGER NOT NULL DEFAULT 0,
            last_line INTEGER NOT NULL DEFAULT 0,
            orders_changed INTEGER NOT NULL DEFAULT 0,
            quarantined INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT,
            UNIQUE (source, content_hash)
        );

        -- Rows of an export that could not be read, with the file and line and the reason.
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            file_id INTEGER NOT NULL REFERENCES import_files (id) ON DELETE CASCADE,
            file_name TEXT NOT NULL,
            line INTEGER NOT NULL,
            reason TEXT NOT NULL,
            cells TEXT NOT NULL DEFAULT '{}',
            at TEXT NOT NULL,
            UNIQUE (file_id, line)
        );
        CREATE INDEX quarantine_source ON quarantine (source, id);
        """,
    ),
    (
        5,
        """
        -- Rule timers carry what decided them: the timeout after overrides and modifiers, the
        -- clock it counts on, the override and modifiers that applied, and the time spent
        -- paused (on the rule's clock) with the start of the pause in progress. muted_by names
        -- the rule that inhibits it; last_true_at is when a condition rule last held.
        ALTER TABLE timers ADD COLUMN timeout_seconds INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE timers ADD COLUMN clock TEXT NOT NULL DEFAULT 'wall';
        ALTER TABLE timers ADD COLUMN override TEXT NOT NULL DEFAULT '';
        ALTER TABLE timers ADD COLUMN modifiers TEXT NOT NULL DEFAULT '';
        ALTER TABLE timers ADD COLUMN paused_seconds INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE timers ADD COLUMN paused_since TEXT;
        ALTER TABLE timers ADD COLUMN muted_by TEXT NOT NULL DEFAULT '';
        ALTER TABLE timers ADD COLUMN last_true_at TEXT;
        ALTER TABLE timers ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        CREATE INDEX timers_rule ON timers (rule_id, state);

        -- Condition rules about a source (a stale courier feed) have no order to hang on: their
        -- instances live here, one per (rule, source).
        CREATE TABLE source_timers (
            id INTEGER PRIMARY KEY,
            rule_id TEXT NOT NULL,
            source TEXT NOT NULL,
            state TEXT NOT NULL,
            since TEXT NOT NULL,
            fired_at TEXT,
            last_true_at TEXT,
            next_at TEXT,
            labels TEXT NOT NULL DEFAULT '{}',
            summary TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            rules_version TEXT NOT NULL,
            change_seq INTEGER NOT NULL,
            UNIQUE (rule_id, source)
        );
        """,
    ),
    (
        6,
        """
        -- Look-up by a whole e-mail address goes through this index, not the full-text one,
        -- where "example" and "com" would match nearly every order.
        CREATE INDEX orders_email ON orders (email COLLATE NOCASE);
        """,
    ),
    (
        7,
        """
        -- The customer tracking page's access audit: every view and every refused attempt,
        -- with the link's id (a digest of the token, never the token itself), the caller's
        -- address and user agent. order_id is set only when a genuine link or a matching
        -- look-up named the order. logged marks the rows that also appended a line to the
        -- order's timeline (at most one an hour per link, carrying the count so far).
        CREATE TABLE page_access (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            token_id TEXT NOT NULL DEFAULT '',
            order_id INTEGER,
            outcome TEXT NOT NULL,
            via TEXT NOT NULL DEFAULT 'link',
            ip TEXT NOT NULL DEFAULT '',
            user_agent TEXT NOT NULL DEFAULT '',
            logged INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX page_access_token ON page_access (token_id, at);
        CREATE INDEX page_access_order ON page_access (order_id, at) WHERE order_id IS NOT NULL;
        CREATE INDEX page_access_ip ON page_access (ip, at);
        """,
    ),
    (
        8,
        """
        -- Escalation ladders. An escalation follows the policy it started with: policy_snapshot
        -- holds that policy as it was then (JSON), so a reload never changes a ladder in flight.
        -- policy stays NULL until the daemon's ladder has taken the escalation up ('' when it
        -- has no policy). ladder_round counts the times the ladder started again (an
        -- acknowledgement that expired, a reopen); level and repeat_no say where it stands in
        -- this round, since level_started_at; next_step_at is when the daemon must look again.
        ALTER TABLE escalations ADD COLUMN policy TEXT;
        ALTER TABLE escalations ADD COLUMN policy_version TEXT NOT NULL DEFAULT '';
        ALTER TABLE escalations ADD COLUMN policy_snapshot TEXT NOT NULL DEFAULT '';
        ALTER TABLE escalations ADD COLUMN ladder_round INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE escalations ADD COLUMN repeat_no INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE escalations ADD COLUMN level_started_at TEXT;
        ALTER TABLE escalations ADD COLUMN next_step_at TEXT;
        -- The last notification that could not be delivered, shown on the escalation.
        ALTER TABLE escalations ADD COLUMN delivery_error TEXT NOT NULL DEFAULT '';
        -- Response figures: the first acknowledgement (when, by whom, at which level) and the
        -- level the escalation had reached when it was resolved.
        ALTER TABLE escalations ADD COLUMN first_acked_at TEXT;
        ALTER TABLE escalations ADD COLUMN first_acked_by TEXT NOT NULL DEFAULT '';
        ALTER TABLE escalations ADD COLUMN first_ack_level INTEGER;
        ALTER TABLE escalations ADD COLUMN resolved_level INTEGER;
        CREATE INDEX escalations_next_step ON escalations (next_step_at)
            WHERE next_step_at IS NOT NULL;
        CREATE INDEX escalations_unadopted ON escalations (id) WHERE policy IS NULL;

        -- Outbox rows say which order and level they are about, and since when a send is in
        -- flight (state 'sending'): a row found sending at start-up was interrupted and goes
        -- out again under the same idempotency key.
        ALTER TABLE outbox ADD COLUMN order_id INTEGER;
        ALTER TABLE outbox ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN severity TEXT NOT NULL DEFAULT '';
        ALTER TABLE outbox ADD COLUMN sending_since TEXT;
        CREATE INDEX outbox_escalation ON outbox (escalation_id);

        -- The console's channel: a toast and the bell for each agent a notification reaches.
        -- One row per (outbox row, agent), so a delivery recorded twice shows once.
        CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            agent TEXT NOT NULL,
            outbox_id INTEGER REFERENCES outbox (id),
            escalation_id INTEGER REFERENCES escalations (id) ON DELETE CASCADE,
            order_id INTEGER,
            severity TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            read_at TEXT,
            UNIQUE (outbox_id, agent)
        );
        CREATE INDEX notices_agent ON notices (agent, id);

        -- Flags on an order that agents must see, such as conflicting edits (its status changed
        -- by three or more different actors within a day). One open flag of a kind per order.
        CREATE TABLE order_flags (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            flag TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            raised_at TEXT NOT NULL,
            cleared_at TEXT,
            cleared_by TEXT NOT NULL DEFAULT ''
        );
        CREATE UNIQUE INDEX order_flags_open ON order_flags (order_id, flag)
            WHERE cleared_at IS NULL;
        """,
    ),
    (
        9,
        """
        -- A warehouse stage row whose order has not arrived yet waits in the quarantine:
        -- waiting_for is the bare order number it names and stage its times (JSON), so the
        -- stage is applied when that order is first mirrored, and an agent can retry it.
        ALTER TABLE quarantine ADD COLUMN waiting_for TEXT NOT NULL DEFAULT '';
        ALTER TABLE quarantine ADD COLUMN stage TEXT NOT NULL DEFAULT '';
        CREATE INDEX quarantine_waiting ON quarantine (waiting_for) WHERE waiting_for != '';
        """,
    ),
    (
        10,
        """
        -- On-demand refreshes of one parcel: the console or `orderwatchd refresh` leaves a
        -- waiting request, the daemon answers it once (done, refused or failed) with a line
        -- saying what happened, so the agent sees "refreshing…" and then the outcome.
        CREATE TABLE parcel_refreshes (
            id INTEGER PRIMARY KEY,
            shipment_id INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'waiting',
            answered_at TEXT,
            outcome TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX parcel_refreshes_waiting ON parcel_refreshes (id) WHERE state = 'waiting';
        CREATE INDEX parcel_refreshes_shipment ON parcel_refreshes (shipment_id, id);

        -- A provider that gave up following a parcel still on its way (Kuaidi100's abort, a
        -- 17TRACK TRACKING_STOPPED) has it registered again, a bounded number of times with a
        -- growing wait: refollows counts the tries, refollow_at is when the next one is due,
        -- and unfollowable says why the parcel cannot be followed once they are spent.
        ALTER TABLE shipments ADD COLUMN refollows INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE shipments ADD COLUMN refollow_at TEXT;
        ALTER TABLE shipments ADD COLUMN unfollowable TEXT NOT NULL DEFAULT '';
        CREATE INDEX shipments_refollow ON shipments (refollow_at) WHERE refollow_at IS NOT NULL;

        -- Requests sent to each tracking provider, per minute, so its hourly and daily budgets
        -- survive a restart of the daemon. Minutes older than two days are pruned.
        CREATE TABLE tracker_spend (
            provider TEXT NOT NULL,
            minute TEXT NOT NULL,
            requests INTEGER NOT NULL,
            PRIMARY KEY (provider, minute)
        ) WITHOUT ROWID;
        """,
    ),
    (
        11,
        """
        -- Agents' look-ups in the console: a find by number, phone, name or tracking, or an
        -- order detail opened, with the order's stage at that moment (the questions customers
        -- ask most). A find that does not land on one order keeps order_id NULL and stage ''.
        CREATE TABLE lookups (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            agent TEXT NOT NULL,
            kind TEXT NOT NULL,
            order_id INTEGER REFERENCES orders (id) ON DELETE SET NULL,
            stage TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX lookups_at ON lookups (at);
        """,
    ),
    (
        12,
        """
        -- Order guards. Postcode and district as the source gives them (NULL: not mirrored yet,
        -- so an older row is never reported as missing them).
        ALTER TABLE orders ADD COLUMN postcode TEXT;
        ALTER TABLE orders ADD COLUMN district TEXT;

        -- One row per guard check that holds on an order, from since until cleared_at (the
        -- check no longer holds). An agent may dismiss it: it stays quiet until it clears.
        CREATE TABLE guard_flags (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            check_name TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            since TEXT NOT NULL,
            dismissed_by TEXT NOT NULL DEFAULT '',
            dismissed_at TEXT,
            cleared_at TEXT
        );
        CREATE UNIQUE INDEX guard_flags_open ON guard_flags (order_id, check_name)
            WHERE cleared_at IS NULL;

        -- The customer keys of each order (normalized phone, e-mail, name and address): the
        -- orders sharing a key are one customer's, looked up when one of them changes.
        CREATE TABLE customer_keys (
            key TEXT NOT NULL,
            order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            PRIMARY KEY (key, order_id)
        ) WITHOUT ROWID;
        CREATE INDEX customer_keys_order ON customer_keys (order_id);

        -- When an order's checks must run again though nothing about it changed (a check that
        -- waits N hours, such as a label never scanned).
        CREATE TABLE guard_rechecks (
            order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
            due_at TEXT NOT NULL
        );
        CREATE INDEX guard_rechecks_due ON guard_rechecks (due_at);
        """,
    ),
    (
        13,
        """
        -- The tracking page's abuse limits, kept so that a restart does not lift them. A bucket
        -- row is one key's token bucket (a link's views, an address's look-ups): the requests
        -- left at `at`, Unix seconds; it limits nothing once full again at `until`. A penalty
        -- row is one key's failures (an address's refused links and look-ups, an order number's
        -- wrong phone digits): their times within the window as a JSON list, the blocks earned
        -- so far and the end of the current one; it is forgotten at `until`. Rows ride on the
        -- audit write of the request that changed them and are read once at start-up.
        CREATE TABLE page_buckets (
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            tokens REAL NOT NULL,
            at REAL NOT NULL,
            until REAL NOT NULL,
            PRIMARY KEY (bucket, key)
        ) WITHOUT ROWID;
        CREATE INDEX page_buckets_until ON page_buckets (until);
        CREATE TABLE page_penalties (
            penalty TEXT NOT NULL,
            key TEXT NOT NULL,
            failures TEXT NOT NULL DEFAULT '[]',
            blocks INTEGER NOT NULL DEFAULT 0,
            blocked_until REAL NOT NULL DEFAULT 0,
            until REAL NOT NULL,
            PRIMARY KEY (penalty, key)
        ) WITHOUT ROWID;
        CREATE INDEX page_penalties_until ON page_penalties (until);
        """,
    ),
    (
        14,
        """
        -- Learned thresholds: per carrier and route (origin = where a parcel was first scanned,
        -- destination = the order's province and city), the p90 of the silence between two
        -- scans and of the transit time (first scan to delivery), in seconds, over `samples`
        -- observations. The daemon rebuilds the table once a day from the checkpoints; rules
        -- read it through `timeout = "route.p90_silence"`.
        CREATE TABLE route_thresholds (
            carrier TEXT NOT NULL,
            origin TEXT NOT NULL,
            destination TEXT NOT NULL,
            metric TEXT NOT NULL,
            p90_seconds INTEGER NOT NULL,
            samples INTEGER NOT NULL,
            computed_at TEXT NOT NULL,
            PRIMARY KEY (carrier, origin, destination, metric)
        ) WITHOUT ROWID;
        """,
    ),
    (
        15,
        """
        -- The carriers a tracking feed follows (comma-separated codes, '' for any carrier), as
        -- its config says: a stale feed mutes the alerts of those carriers' parcels only.
        ALTER TABLE sources ADD COLUMN carriers TEXT NOT NULL DEFAULT '';
        """,
    ),
    (
        16,
        """
        -- Escalations about a source (a stale tracking feed) belong to no order: order_id may be
        -- NULL and `source` names the feed instead; exactly one of the two is set. For such an
        -- escalation timer_id and subject_id are its source_timers row (subject_kind 'source').
        -- SQLite cannot drop a NOT NULL, so the table is rebuilt with the same columns and
        -- indexes (migrations run with foreign keys off, checked before each commit).
        CREATE TABLE escalations_rebuilt (
            id INTEGER PRIMARY KEY,
            timer_id INTEGER NOT NULL,
            rule_id TEXT NOT NULL,
            subject_kind TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            order_id INTEGER REFERENCES orders (id) ON DELETE CASCADE,
            severity TEXT NOT NULL,
            summary TEXT NOT NULL,
            state TEXT NOT NULL,
            level INTEGER NOT NULL DEFAULT 1,
            rules_version TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            deadline_at TEXT NOT NULL,
            acked_at TEXT,
            acked_by TEXT NOT NULL DEFAULT '',
            assignee TEXT NOT NULL DEFAULT '',
            snoozed_until TEXT,
            resolved_at TEXT,
            resolved_by TEXT NOT NULL DEFAULT '',
            resolution TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 1,
            change_seq INTEGER NOT NULL,
            policy TEXT,
            policy_version TEXT NOT NULL DEFAULT '',
            policy_snapshot TEXT NOT NULL DEFAULT '',
            ladder_round INTEGER NOT NULL DEFAULT 1,
            repeat_no INTEGER NOT NULL DEFAULT 0,
            level_started_at TEXT,
            next_step_at TEXT,
            delivery_error TEXT NOT NULL DEFAULT '',
            first_acked_at TEXT,
            first_acked_by TEXT NOT NULL DEFAULT '',
            first_ack_level INTEGER,
            resolved_level INTEGER,
            source TEXT,
            CHECK ((order_id IS NULL) <> (source IS NULL))
        );
        INSERT INTO escalations_rebuilt (id, timer_id, rule_id, subject_kind, subject_id,
            order_id, severity, summary, state, level, rules_version, opened_at, deadline_at,
            acked_at, acked_by, assignee, snoozed_until, resolved_at, resolved_by, resolution,
            version, change_seq, policy, policy_version, policy_snapshot, ladder_round,
            repeat_no, level_started_at, next_step_at, delivery_error, first_acked_at,
            first_acked_by, first_ack_level, resolved_level)
        SELECT id, timer_id, rule_id, subject_kind, subject_id, order_id, severity, summary,
            state, level, rules_version, opened_at, deadline_at, acked_at, acked_by, assignee,
            snoozed_until, resolved_at, resolved_by, resolution, version, change_seq, policy,
            policy_version, policy_snapshot, ladder_round, repeat_no, level_started_at,
            next_step_at, delivery_error, first_acked_at, first_acked_by, first_ack_level,
            resolved_level
        FROM escalations;
        DROP TABLE escalations;
        ALTER TABLE escalations_rebuilt RENAME TO escalations;
        CREATE INDEX escalations_open ON escalations (state, deadline_at);
        CREATE INDEX escalations_order ON escalations (order_id);
        CREATE INDEX escalations_change_seq ON escalations (change_seq);
        CREATE INDEX escalations_next_step ON escalations (next_step_at)
            WHERE next_step_at IS NOT NULL;
        CREATE INDEX escalations_unadopted ON escalations (id) WHERE policy IS NULL;

        -- A feed rule's instance points at its open escalation, as an order timer does.
        ALTER TABLE source_timers ADD COLUMN escalation_id INTEGER REFERENCES escalations (id);
        """,
    ),
)
