"""The worker (``phananh worker``): reads the outbox, sends e-mail and webhooks, runs timed jobs.

Delivery guarantees, as implemented:

* **Nothing is lost.** Use cases write notices in the same transaction as the change they report
  (:meth:`engine.services.lifecycle.Lifecycle.notify`); the worker only ever marks a row sent
  *after* the work it stands for is done — a notice after its deliveries are queued (same
  transaction), a delivery after the mail server or the agency's system accepted it.
* **At least once.** Rows are claimed in batches with a lease, in a transaction of their own, a
  share of each batch for every kind waiting (a backlog of notices never holds up the mail); a
  worker killed after claiming leaves its rows to be claimed again when the lease runs out, and
  a row whose lease ran out before its turn in the batch is left to whoever claims it next
  (:mod:`engine.worker.outbox`). A failed send is retried with exponential back-off and, after
  ``retry.max_attempts``, *parked* (``parked = true``, the reason in ``last_error``) for a person
  to see; :func:`engine.worker.outbox.requeue` gives it new attempts once the cause is fixed.
* **Seen at most once.** Every delivery carries its dedup key: as ``Message-ID`` and
  ``X-Phananh-Dedup-Key`` in mail, as ``Idempotency-Key`` on a webhook (signed with HMAC-SHA256,
  ``X-Phananh-Signature``). A receiver that keeps the keys it has seen drops a repeat; the worker
  itself never queues the same key twice (``INSERT … ON CONFLICT DO NOTHING`` on the unique key).
* **Several workers.** On PostgreSQL claims use ``FOR UPDATE SKIP LOCKED``, so workers share the
  queue. On SQLite a claim is one statement under the database's single write lock — still
  atomic, but run one worker.

Modules: :mod:`~engine.worker.outbox` (the queue), :mod:`~engine.worker.notices` (who hears what,
rendered from ``templates/mail/<kind>.j2``), :mod:`~engine.worker.senders` (SMTP, webhooks),
:mod:`~engine.worker.jobs` (deadline reminders, daily digest), :mod:`~engine.worker.housekeeping`
(old ``Idempotency-Key`` answers deleted), :mod:`~engine.worker.runner` (the loop, which also
builds the scheduled periodic reports: :mod:`engine.periodic.store`). Configuration: ``notify.yaml`` and the agencies' ``email`` / ``webhook_url`` /
``webhook_secret_env`` in ``sectors.yaml`` (see :class:`engine.config.snapshot.NotifyConfig`).
"""

from engine.worker.notices import NOTICE_KINDS, missing_templates
from engine.worker.runner import RunSummary, Worker

__all__ = ["NOTICE_KINDS", "RunSummary", "Worker", "missing_templates"]
