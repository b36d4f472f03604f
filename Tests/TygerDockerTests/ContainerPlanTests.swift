import Testing
@testable import TygerDocker
import TygerKit

@Suite struct ContainerPlanTests {
    @Test func placeholder() {}
}
