"""Celery workers: the executor that sends each step to them, and the worker itself.

Used only when ``CELERY_BROKER_URL`` is set (see ``core/scale_out.py``); dagster-celery,
from the project's ``scale`` extra, is imported only then.

A step is a Celery task. Its message is acknowledged once the step has finished, not when
a worker takes it (``task_acks_late``), so a worker that dies in the middle of a step never
loses it:

* when the process running the step dies (killed, out of memory) but its worker lives on,
  the worker hands the step back to the queue at once (``task_reject_on_worker_lost``);
* when the whole worker dies (SIGKILL, a machine that stops), the message stays
  unacknowledged in Redis, and another worker takes it once it has not been claimed for
  ``CELERY_VISIBILITY_TIMEOUT`` seconds (default 60).

Either way the step runs again from its start on another worker, within the same Dagster
run; tables are replaced all at once (see ``core/storage.py``), so a step cut short leaves
the previous version of its table, never half of one.

Celery alone hands a step to a second worker once its message is older than the timeout,
even when the first worker is alive and still at it. A worker started here therefore
claims the messages of its steps anew every third of the timeout (:func:`_keep_claiming`),
so only the steps of a worker that is gone are handed out again, however long steps run.
"""

import os
import time
from pathlib import Path
from typing import Any

import dagster as dg

from core.scale_out import export_environment, worker_command
from core.settings import CelerySettings, display_url, load_scale_out_settings

DEFAULT_QUEUE = "dagster"
"""dagster-celery's queue; a step goes elsewhere with the op tag ``dagster-celery/queue``."""

QUEUE_TAG = "dagster-celery/queue"

RESTORE_INTERVAL_SECONDS = 5
"""How often each worker looks for steps whose worker has vanished (kombu's default: 100 s)."""


def celery_config(celery: CelerySettings) -> dict[str, Any]:
    """Celery settings shared by the executor (which sends steps) and the workers."""
    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_track_started": True,
        # One step at a time per worker process: a step waits in the queue, where any
        # free worker can take it, rather than behind a long one on a busy worker.
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": celery.visibility_timeout,
            "unacked_restore_interval": min(RESTORE_INTERVAL_SECONDS, celery.visibility_timeout),
            "unacked_restore_throttle": 1,
            # dagster-celery's defaults: give up quickly on a broker that does not answer.
            "max_retries": 3,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
    }


def executor() -> dg.ExecutorDefinition | None:
    """The Celery executor when ``CELERY_BROKER_URL`` is set; None (Dagster's default) if not."""
    settings = load_scale_out_settings()
    if settings.celery is None:
        return None
    import warnings

    from celery.exceptions import DuplicateTaskNameWarning
    from dagster_celery import celery_executor

    # dagster-celery registers its step task anew for every step it sends; Celery warns
    # each time, about a task that is the same every time.
    warnings.filterwarnings("ignore", category=DuplicateTaskNameWarning)
    # The URLs come from the environment when a run starts, so the run configuration
    # stored with each run names the variables, not the passwords inside them.
    export_environment(settings)
    return celery_executor.configured(
        {
            "broker": {"env": "CELERY_BROKER_URL"},
            "backend": {"env": "CELERY_BACKEND_URL"},
            "config_source": celery_config(settings.celery),
        },
        name="celery",
    )


ASSET_JOB = "__ASSET_JOB"
"""Dagster's job of every asset: the one the UI and the automation launch, too."""

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
"""Run configuration that silences Dagster's console logger, in the run and in the workers.

``run_polster.py`` prints the progress itself, from the events the workers record.
"""


def asset_job_pointer(src: Path):
    """The job of every asset, as a pointer from which each worker rebuilds it.

    Dagster's public helpers (``dg.reconstructable``) point at a job object of a module,
    which the implicit asset job is not; this points at the module's ``defs`` instead.
    """
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repository = ReconstructableRepository.for_module(
        "orchestration.definitions", "defs", working_directory=str(src)
    )
    return repository.get_reconstructable_job(ASSET_JOB)


def step_queues(job: dg.JobDefinition) -> set[str]:
    """The Celery queues the steps of ``job`` go to."""
    return {node.tags.get(QUEUE_TAG, DEFAULT_QUEUE) for node in job.graph.nodes} or {DEFAULT_QUEUE}


def celery_app(celery: CelerySettings, with_task: bool = False):
    """A Celery app on the project's broker; a worker's has dagster-celery's step task."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    app = make_app(
        CeleryExecutor.for_cli(
            broker=celery.broker_url,
            backend=celery.backend_url,
            config_source=celery_config(celery),
        ).app_args()
    )
    if with_task:
        create_task(app)
    return app


def queues_served(app, timeout: float = 1.0) -> dict[str, set[str]]:
    """The workers that answer right now, each with the queues it consumes."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    return {name: {queue["name"] for queue in queues or []} for name, queues in replies.items()}


def wait_for_workers(app, queues: set[str], timeout: float) -> str | None:
    """Wait until every queue in ``queues`` has a worker; the missing queue's message if not."""
    deadline = time.monotonic() + timeout
    while True:
        served = set().union(*queues_served(app).values())
        missing = sorted(queues - served)
        if not missing:
            return None
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    broker = display_url(app.conf.broker_url)
    if missing == [DEFAULT_QUEUE] or not served:
        return (
            f"no Celery worker answered on {broker} within {timeout:.0f} s; "
            f"start one with: {worker_command(missing[0])}"
        )
    return (
        f"no Celery worker takes steps from queue {missing[0]!r} on {broker}; "
        f"start one with: {worker_command(missing[0])}"
    )


# --- the worker ------------------------------------------------------------------------------


UNACKED_INDEX = "unacked_index"
"""kombu's Redis key: each unacknowledged message with the time it was handed out."""


def _keep_claiming(celery: CelerySettings) -> None:
    """Refresh, in kombu's index, the hand-out time of the steps this worker holds.

    Runs in a thread of the worker's main process (the steps run in its child processes),
    every third of ``CELERY_VISIBILITY_TIMEOUT``. Only messages still in the index are
    touched (``xx``): one that was acknowledged meanwhile is not brought back.
    """
    import threading

    import redis
    from celery.worker import state

    client = redis.Redis.from_url(celery.broker_url, socket_connect_timeout=5, socket_timeout=5)
    period = max(1.0, celery.visibility_timeout / 3)

    def claim() -> None:
        while True:
            time.sleep(period)
            try:
                requests = list(state.reserved_requests)
            except RuntimeError:  # changed while being copied: try again next time
                continue
            tags = [getattr(request.message, "delivery_tag", None) for request in requests]
            held = {tag: time.time() for tag in tags if tag}
            if held:
                try:
                    client.zadd(UNACKED_INDEX, held, xx=True)
                except redis.RedisError:
                    pass  # the broker is away; the next round tries again

    threading.Thread(target=claim, name="keep-claiming", daemon=True).start()


def start_worker(celery: CelerySettings, queues: list[str], concurrency: int | None) -> int:
    """Run a Celery worker in this process until Ctrl-C or SIGTERM; its exit status.

    The first Ctrl-C (or SIGTERM) lets the steps in progress finish and stops taking new
    ones; a second one stops at once, and Celery hands the unfinished steps back to the
    queue for other workers.
    """
    from celery import signals

    app = celery_app(celery, with_task=True)
    # Printed lines go to the terminal as they are, not through Celery's logger.
    app.conf.worker_redirect_stdouts = False
    name = f"polster-{os.getpid()}@%h"
    broker = display_url(celery.broker_url)
    started: dict[str, float] = {}

    @signals.worker_ready.connect(weak=False)
    def _ready(sender=None, **_kwargs) -> None:
        processes = sender.pool.num_processes if sender and sender.pool else "?"
        _say(
            f"worker {sender.hostname if sender else name} ready: queue {', '.join(queues)}, "
            f"{processes} processes, broker {broker} (Ctrl-C to stop)"
        )
        _keep_claiming(celery)

    @signals.task_prerun.connect(weak=False)
    def _step_started(task_id=None, kwargs=None, **_kwargs) -> None:
        started[task_id] = time.monotonic()
        _say(f"started   {_task_label(kwargs)}")

    @signals.task_postrun.connect(weak=False)
    def _step_done(task_id=None, kwargs=None, state=None, **_kwargs) -> None:
        seconds = time.monotonic() - started.pop(task_id, time.monotonic())
        outcome = "finished " if state == "SUCCESS" else "FAILED   "
        _say(f"{outcome} {_task_label(kwargs)} in {seconds:.2f} s")

    @signals.worker_shutting_down.connect(weak=False)
    def _stopping(**_kwargs) -> None:
        _say("stopping: steps in progress finish first (Ctrl-C again to stop at once)")

    argv = [
        "worker",
        "--loglevel=WARNING",
        f"--hostname={name}",
        f"--queues={','.join(queues)}",
        "--prefetch-multiplier=1",
        # Fewer messages between workers; nothing here uses them.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    try:
        app.worker_main(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def _task_label(kwargs: dict[str, Any] | None) -> str:
    """``bronze/example (run 1a2b3c4d)`` for a step task's arguments."""
    packed = (kwargs or {}).get("execute_step_args_packed") or {}
    steps = packed.get("step_keys_to_execute") or ["?"]
    # Dagster stores the run id under its older name.
    run_id = str(packed.get("pipeline_run_id") or packed.get("run_id") or "?")[:8]
    return f"{', '.join(step.replace('__', '/') for step in steps)} (run {run_id})"


def _say(line: str) -> None:
    try:
        print(line, flush=True)
    except OSError:
        pass
