/// A static k-d tree over points on the sphere, for k-nearest-neighbour queries by
/// great-circle distance with a filter.
///
/// Points are stored as unit vectors in 3-D; the chord between two unit vectors is a
/// monotonic function of their great-circle distance, so the tree can prune with plain
/// Euclidean bounds and still return the haversine-nearest points. Items are numbered by the
/// caller (`0..<count`), and equal distances are broken by the smaller item number: number
/// items in id order to break ties by id. Queries visit O(log n) nodes for typical data.
public struct SpatialIndex: Sendable {
    private var xs: [Double] = []
    private var ys: [Double] = []
    private var zs: [Double] = []
    private var items: [Int32] = []
    private var axes: [UInt8] = []
    private var originals: [GeoPoint] = []

    public var count: Int { items.count }

    public init(points: [GeoPoint]) {
        let n = points.count
        originals = points
        var order = Array(0..<n).map { Int32($0) }
        let vectors = points.map(\.unitVector)
        xs = .init(repeating: 0, count: n)
        ys = .init(repeating: 0, count: n)
        zs = .init(repeating: 0, count: n)
        axes = .init(repeating: 0, count: n)
        build(&order, vectors, 0, n)
        items = order
        for (slot, item) in order.enumerated() {
            let v = vectors[Int(item)]
            xs[slot] = v.0
            ys[slot] = v.1
            zs[slot] = v.2
        }
    }

    private mutating func build(_ order: inout [Int32], _ v: [(Double, Double, Double)], _ lo: Int, _ hi: Int) {
        guard hi - lo > 1 else { return }
        var minV = (Double.infinity, Double.infinity, Double.infinity)
        var maxV = (-Double.infinity, -Double.infinity, -Double.infinity)
        for i in lo..<hi {
            let p = v[Int(order[i])]
            minV = (min(minV.0, p.0), min(minV.1, p.1), min(minV.2, p.2))
            maxV = (max(maxV.0, p.0), max(maxV.1, p.1), max(maxV.2, p.2))
        }
        let spread = (maxV.0 - minV.0, maxV.1 - minV.1, maxV.2 - minV.2)
        let axis: UInt8 = spread.0 >= spread.1 && spread.0 >= spread.2 ? 0 : (spread.1 >= spread.2 ? 1 : 2)
        func key(_ i: Int32) -> Double {
            let p = v[Int(i)]
            return axis == 0 ? p.0 : (axis == 1 ? p.1 : p.2)
        }
        order[lo..<hi].sort { key($0) < key($1) }
        let mid = (lo + hi) / 2
        axes[mid] = axis
        build(&order, v, lo, mid)
        build(&order, v, mid + 1, hi)
    }

    /// One result: the caller's item number and the great-circle distance in metres.
    public struct Neighbour: Sendable, Equatable {
        public var item: Int
        public var meters: Double
    }

    /// The `k` nearest items to `point` for which `accept` is true, nearest first, ties by
    /// smaller item number. `accept` is called only for items that could enter the result.
    public func nearest(to point: GeoPoint, k: Int, where accept: (Int) -> Bool = { _ in true }) -> [Neighbour] {
        guard k > 0, !items.isEmpty else { return [] }
        let q = point.unitVector
        var best: [(d: Double, item: Int32)] = []
        best.reserveCapacity(k + 1)
        search(0, items.count, q, k, accept, &best)
        return best.map { Neighbour(item: Int($0.item), meters: point.distance(to: originals[Int($0.item)])) }
    }

    /// Whether any item lies within `meters` of `point`.
    public func hasPoint(within meters: Double, of point: GeoPoint) -> Bool {
        guard let n = nearest(to: point, k: 1).first else { return false }
        return n.meters <= meters
    }

    private func search(
        _ lo: Int, _ hi: Int, _ q: (Double, Double, Double), _ k: Int, _ accept: (Int) -> Bool,
        _ best: inout [(d: Double, item: Int32)]
    ) {
        guard lo < hi else { return }
        let mid = (lo + hi) / 2
        let dx = xs[mid] - q.0, dy = ys[mid] - q.1, dz = zs[mid] - q.2
        let d = dx * dx + dy * dy + dz * dz
        let item = items[mid]
        if best.count < k || d < best[best.count - 1].d || (d == best[best.count - 1].d && item < best[best.count - 1].item) {
            if accept(Int(item)) {
                var i = best.count
                while i > 0, best[i - 1].d > d || (best[i - 1].d == d && best[i - 1].item > item) { i -= 1 }
                best.insert((d, item), at: i)
                if best.count > k { best.removeLast() }
            }
        }
        guard hi - lo > 1 else { return }
        let axis = axes[mid]
        let delta = axis == 0 ? q.0 - xs[mid] : (axis == 1 ? q.1 - ys[mid] : q.2 - zs[mid])
        let (first, second) = delta < 0 ? ((lo, mid), (mid + 1, hi)) : ((mid + 1, hi), (lo, mid))
        search(first.0, first.1, q, k, accept, &best)
        if best.count < k || delta * delta <= best[best.count - 1].d {
            search(second.0, second.1, q, k, accept, &best)
        }
    }
}

