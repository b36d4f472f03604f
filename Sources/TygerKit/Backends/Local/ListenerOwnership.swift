import CTygerProcess

/// Who listens on a worker's port: the second half of the local readiness check. A
/// connection that is accepted proves that something listens; only a listening socket held
/// by the replica's own process tree proves that the replica does, so that a run is never
/// wired to another program, or to another run's worker, that happens to hold the port.
enum ListenerOwnership {
    enum Owner: Equatable {
        /// The replica's process tree holds the listening socket.
        case replica
        /// Nothing listens on the port.
        case nobody
        /// Something outside the replica listens on the port.
        case someoneElse
    }

    /// Who holds the socket that accepts connections to 127.0.0.1:`port`, given the
    /// replica's first process.
    static func owner(ofPort port: Int, replicaProcess pid: Int32) -> Owner {
        var listening: [UInt]
        switch tyger_accepting_inode(Int32(port)) {
        case 0: return .nobody
        case let inode where inode > 0: listening = [UInt(inode)]
        default:
            // The exact lookup is not available: any socket listening on the port.
            guard let all = inodes({ tyger_listening_inodes(Int32(port), $0, $1) }) else { return .someoneElse }
            guard !all.isEmpty else { return .nobody }
            listening = all
        }
        let held = inodes { tyger_tree_socket_inodes(pid, $0, $1) } ?? []
        return Set(held).isDisjoint(with: listening) ? .someoneElse : .replica
    }

    /// The ports the replica's process tree listens on, for telling a person where a worker
    /// listens when it is not where it was asked to.
    static func listeningPorts(replicaProcess pid: Int32) -> [Int] {
        guard let held = inodes({ tyger_tree_socket_inodes(pid, $0, $1) }), !held.isEmpty else { return [] }
        var ports = [Int32](repeating: 0, count: 64)
        let count = held.withUnsafeBufferPointer { inodes in
            tyger_listening_ports(inodes.baseAddress, Int32(inodes.count), &ports, Int32(ports.count))
        }
        guard count > 0 else { return [] }
        return Array(Set(ports.prefix(Int(min(count, 64))).map(Int.init))).sorted()
    }

    /// Calls a C collector with a growing buffer until everything fits; `nil` when it fails.
    private static func inodes(_ collect: (UnsafeMutablePointer<UInt>, Int32) -> Int32) -> [UInt]? {
        var capacity = 64
        while true {
            var buffer = [UInt](repeating: 0, count: capacity)
            let count = buffer.withUnsafeMutableBufferPointer { collect($0.baseAddress!, Int32(capacity)) }
            if count < 0 { return nil }
            if Int(count) <= capacity { return Array(buffer.prefix(Int(count))) }
            capacity = Int(count)
        }
    }
}
