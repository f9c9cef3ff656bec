// `region create --view`: which view of the region a worker process fills and checks.
import ArgumentParser

/// The view `spillway region create` takes of the region.
enum RegionViewKind: String, ExpressibleByArgument, CaseIterable {
    /// `createNextView`: this rank's slot of every row.
    case worker
    /// `createNextCanonicalView`: the tensors shared by all workers.
    case canonical
}
