// Environment lookup for test support (Foundation is fine in the testing library).
import Foundation

enum ProcessInfoShim {
    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}
