/// Wakes the claim loop: a notification arrived, a slot freed up. Rings
/// while nobody waits are remembered (once), so no wake-up is lost.
actor Doorbell {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var waiterID = 0

    /// Wakes the waiter, or the next one to wait.
    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    /// Returns on a ring or after `timeout`, whichever comes first.
    func wait(timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        waiterID += 1
        let id = waiterID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        await withCheckedContinuation { continuation in
            waiter = continuation
        }
        timer.cancel()
    }

    private func expire(_ id: Int) {
        guard id == waiterID, let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
