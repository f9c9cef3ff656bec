// The sweep's SVG chart: hit rate against total capacity (primary + disk blocks), one line
// per primary capacity plus the primary-only reference line, with axes, ticks and a legend.
import Spillway
import SpillwayCore
import SpillwaySystem
import Foundation

/// Renders a `ReplaySweep` as a self-contained SVG document (no scripts, no external
/// resources).
package enum SweepChart {
    static let width = 900.0
    static let height = 540.0
    static let left = 80.0
    static let right = 250.0
    static let top = 70.0
    static let bottom = 70.0
    static let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
    ]

    /// The SVG text. Each primary capacity is one solid line through its disk capacities
    /// (x = primary + disk); the dashed grey line joins the disk-0 hit rates of all primary
    /// capacities (what the same total capacity would give as primary only, where measured).
    /// The x axis is logarithmic when the totals span more than 20x.
    package static func svg(_ sweep: ReplaySweep, title: String) -> String {
        let totals = sweep.points.map { Double(max($0.totalBlocks, 1)) }
        let minTotal = totals.min() ?? 1
        let maxTotal = max(totals.max() ?? 1, minTotal + 1)
        let logarithmic = maxTotal / minTotal > 20
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let xDomain: (Double, Double) =
            logarithmic ? (roundDown125(minTotal / 1.1), maxTotal * 1.2) : (0, maxTotal * 1.05)
        func x(_ value: Double) -> Double {
            if logarithmic {
                return left + (log10(value) - log10(xDomain.0))
                    / (log10(xDomain.1) - log10(xDomain.0)) * plotWidth
            }
            return left + (value - xDomain.0) / (xDomain.1 - xDomain.0) * plotWidth
        }
        let maxRate = sweep.points.map(\.hitRate).max() ?? 0
        let yMax = max(0.1, (maxRate * 10).rounded(.up) / 10)
        func y(_ rate: Double) -> Double { top + plotHeight - rate / yMax * plotHeight }

        var out: [String] = []
        out.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        out.append(
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">"#
        )
        out.append(#"<rect x="0" y="0" width="\#(f(width))" height="\#(f(height))" fill="white"/>"#)
        out.append(
            #"<text x="\#(f(left))" y="26" font-size="17" font-weight="bold">\#(escape(title))</text>"#
        )
        out.append(
            #"<text x="\#(f(left))" y="45" font-size="12" fill="rgb(85,85,85)">Solid: one primary size, disk capacity growing along the line. Dashed: primary capacity alone (disk 0).</text>"#
        )

        // Y grid, ticks and labels.
        let yStep = yMax <= 0.3 ? 0.05 : 0.1
        var tick = 0.0
        while tick <= yMax + 1e-9 {
            let ty = y(tick)
            out.append(
                #"<line x1="\#(f(left))" y1="\#(f(ty))" x2="\#(f(left + plotWidth))" y2="\#(f(ty))" stroke="rgb(229,229,229)" stroke-width="1"/>"#
            )
            out.append(
                #"<line x1="\#(f(left - 5))" y1="\#(f(ty))" x2="\#(f(left))" y2="\#(f(ty))" stroke="black" stroke-width="1"/>"#
            )
            out.append(
                #"<text x="\#(f(left - 8))" y="\#(f(ty + 4))" text-anchor="end">\#(Int((tick * 100).rounded()))%</text>"#
            )
            tick += yStep
        }
        // X ticks.
        for value in xTicks(domain: xDomain, logarithmic: logarithmic) {
            let tx = x(value)
            out.append(
                #"<line x1="\#(f(tx))" y1="\#(f(top))" x2="\#(f(tx))" y2="\#(f(top + plotHeight))" stroke="rgb(240,240,240)" stroke-width="1"/>"#
            )
            out.append(
                #"<line x1="\#(f(tx))" y1="\#(f(top + plotHeight))" x2="\#(f(tx))" y2="\#(f(top + plotHeight + 5))" stroke="black" stroke-width="1"/>"#
            )
            out.append(
                #"<text x="\#(f(tx))" y="\#(f(top + plotHeight + 20))" text-anchor="middle">\#(countLabel(value))</text>"#
            )
        }
        // Axes and labels.
        out.append(
            #"<line x1="\#(f(left))" y1="\#(f(top + plotHeight))" x2="\#(f(left + plotWidth))" y2="\#(f(top + plotHeight))" stroke="black" stroke-width="1.5"/>"#
        )
        out.append(
            #"<line x1="\#(f(left))" y1="\#(f(top))" x2="\#(f(left))" y2="\#(f(top + plotHeight))" stroke="black" stroke-width="1.5"/>"#
        )
        out.append(
            #"<text x="\#(f(left + plotWidth / 2))" y="\#(f(height - 22))" text-anchor="middle">total capacity: primary + disk blocks\#(logarithmic ? " (log scale)" : "")</text>"#
        )
        out.append(
            #"<text x="22" y="\#(f(top + plotHeight / 2))" text-anchor="middle" transform="rotate(-90 22 \#(f(top + plotHeight / 2)))">hit rate (block references served)</text>"#
        )

        // The primary-only reference: disk-0 points of every primary capacity, when present.
        let primaryOnly = sweep.points.filter { $0.diskBlocks == 0 }.sorted {
            $0.totalBlocks < $1.totalBlocks
        }
        var legend: [(label: String, color: String, dashed: Bool)] = []
        if primaryOnly.count >= 2 {
            let path = primaryOnly.map {
                "\(f(x(Double(max($0.totalBlocks, 1))))),\(f(y($0.hitRate)))"
            }.joined(separator: " ")
            out.append(
                #"<polyline points="\#(path)" fill="none" stroke="rgb(119,119,119)" stroke-width="2" stroke-dasharray="6 4"/>"#
            )
            legend.append(("primary only (disk 0)", "#777777", true))
        }
        for (index, primary) in sweep.primaryBlocksList.enumerated() {
            let color = palette[index % palette.count]
            let line = sweep.points.filter { $0.primaryBlocks == primary }.sorted {
                $0.totalBlocks < $1.totalBlocks
            }
            let path = line.map { "\(f(x(Double(max($0.totalBlocks, 1))))),\(f(y($0.hitRate)))" }
                .joined(separator: " ")
            out.append(
                #"<polyline points="\#(path)" fill="none" stroke="\#(color)" stroke-width="2.5"/>"#)
            for point in line {
                out.append(
                    #"<circle cx="\#(f(x(Double(max(point.totalBlocks, 1)))))" cy="\#(f(y(point.hitRate)))" r="4" fill="\#(color)"><title>primary \#(point.primaryBlocks) + disk \#(point.diskBlocks): \#(String(format: "%.2f", point.hitRate * 100))%</title></circle>"#
                )
            }
            legend.append(
                (
                    "primary \(countLabel(Double(primary))) + disk \(sweep.diskBlocksList.map { countLabel(Double($0)) }.joined(separator: "/"))",
                    color, false
                ))
        }
        // Legend.
        let legendX = left + plotWidth + 20
        out.append(
            #"<text x="\#(f(legendX))" y="\#(f(top + 4))" font-weight="bold">\#(escape("policy " + sweep.policy.rawValue))</text>"#
        )
        for (index, entry) in legend.enumerated() {
            let ly = top + 26 + Double(index) * 22
            out.append(
                #"<line x1="\#(f(legendX))" y1="\#(f(ly - 4))" x2="\#(f(legendX + 26))" y2="\#(f(ly - 4))" stroke="\#(entry.color)" stroke-width="2.5"\#(entry.dashed ? #" stroke-dasharray="6 4""# : "")/>"#
            )
            out.append(
                #"<text x="\#(f(legendX + 32))" y="\#(f(ly))" font-size="12">\#(escape(entry.label))</text>"#
            )
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// The largest 1-2-5 value (..., 100, 200, 500, 1000, ...) at or below `value`.
    static func roundDown125(_ value: Double) -> Double {
        let decade = pow(10, floor(log10(max(value, 1))))
        return [5.0, 2.0, 1.0].map { $0 * decade }.first { $0 <= value } ?? decade
    }

    /// Tick values: 1-2-5 per decade (log), or about 6 round steps (linear).
    static func xTicks(domain: (Double, Double), logarithmic: Bool) -> [Double] {
        if logarithmic {
            var ticks: [Double] = []
            var decade = pow(10, floor(log10(domain.0)))
            while decade <= domain.1 {
                for m in [1.0, 2.0, 5.0] where decade * m >= domain.0 && decade * m <= domain.1 {
                    ticks.append(decade * m)
                }
                decade *= 10
            }
            return ticks
        }
        let raw = (domain.1 - domain.0) / 6
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: domain.1, by: step).map { $0 }
    }

    /// 1500 -> "1.5k", 10000 -> "10k", 2000000 -> "2M".
    static func countLabel(_ value: Double) -> String {
        func trimmed(_ v: Double) -> String {
            v == v.rounded() ? "\(Int(v))" : String(format: "%.1f", v)
        }
        if value >= 1_000_000 { return trimmed(value / 1_000_000) + "M" }
        if value >= 1_000 { return trimmed(value / 1_000) + "k" }
        return trimmed(value)
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(
            of: "<", with: "&lt;"
        )
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
