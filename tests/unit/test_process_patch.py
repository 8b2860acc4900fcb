"""A process-wide patch is applied by its first call only, even when threads ask for it at once."""

from __future__ import annotations

import threading

from skin_analysis_local.process_patch import once_per_process


def test_a_patch_asked_for_many_times_at_once_is_applied_once() -> None:
    applied: list[int] = []
    barrier = threading.Barrier(8)

    @once_per_process
    def patch() -> None:
        applied.append(1)

    def ask() -> None:
        barrier.wait()
        patch()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    patch()

    assert applied == [1]
