import Testing
import TygerDocker
import TygerKit

/// Where the container backend looks for its engine.
@Suite struct EngineSocketTests {
    @Test("DOCKER_HOST wins, then Docker's socket, then Podman's root and rootless sockets")
    func order() throws {
        let all: Set = ["/custom.sock", "/var/run/docker.sock", "/run/podman/podman.sock", "/run/user/1000/podman/podman.sock"]
        func locate(_ environment: [String: String], _ present: Set<String>) throws -> String {
            try EngineSocket.locate(environment: environment, isSocket: present.contains).path
        }
        let rootless = ["XDG_RUNTIME_DIR": "/run/user/1000"]
        #expect(try locate(rootless.merging(["DOCKER_HOST": "unix:///custom.sock"]) { $1 }, all) == "/custom.sock")
        #expect(try locate(rootless, all) == "/var/run/docker.sock")
        #expect(try locate(rootless, all.subtracting(["/var/run/docker.sock"])) == "/run/podman/podman.sock")
        #expect(try locate(rootless, ["/run/user/1000/podman/podman.sock"]) == "/run/user/1000/podman/podman.sock")
    }

    @Test("With no engine, the error names every place tried")
    func nothingFound() {
        let error = #expect(throws: TygerError.self) {
            try EngineSocket.locate(environment: [:], isSocket: { _ in false })
        }
        let message = error?.message ?? ""
        for place in ["DOCKER_HOST is not set", "/var/run/docker.sock", "/run/podman/podman.sock", "XDG_RUNTIME_DIR is not set"] {
            #expect(message.contains(place), "\(message)")
        }
    }

    @Test("DOCKER_HOST that is not a unix socket, or names nothing, is an error naming it")
    func badDockerHost() {
        let tcp = #expect(throws: TygerError.self) {
            try EngineSocket.locate(environment: ["DOCKER_HOST": "tcp://10.0.0.1:2375"], isSocket: { _ in true })
        }
        #expect(tcp?.message.contains("tcp://10.0.0.1:2375") == true)
        let missing = #expect(throws: TygerError.self) {
            try EngineSocket.locate(environment: ["DOCKER_HOST": "unix:///nowhere.sock"], isSocket: { _ in false })
        }
        #expect(missing?.message.contains("/nowhere.sock is not a socket") == true)
    }
}
