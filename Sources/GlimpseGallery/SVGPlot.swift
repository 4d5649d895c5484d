import Foundation

/// Line plots as inline SVG (no scripts, no network): axes with ticks, one coloured polyline per series, a legend.
enum SVGPlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    static func lines(_ plot: PlotRecord, width: Int = 420, height: Int = 260) -> String {
        let left = 48.0, right = 12.0, top = 26.0, bottom = 40.0
        let xs = plot.series.flatMap(\.x).filter(\.isFinite), ys = plot.series.flatMap(\.y).filter(\.isFinite)
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1), (y0, y1) = (Swift.min(ys.min() ?? 0, 0), ys.max() ?? 1)
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y1 = y0 + 1 }
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * w }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * h }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTML.escape(plot.title))\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        svg += "<text x=\"\(f(left))\" y=\"16\" font-size=\"13\" font-weight=\"600\">\(HTML.escape(plot.title))</text>"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + h))\" x2=\"\(f(left + w))\" y2=\"\(f(top + h))\" stroke=\"#444\"/>"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + h))\" stroke=\"#444\"/>"
        for i in 0...4 {
            let xv = x0 + Double(i) / 4 * (x1 - x0), yv = y0 + Double(i) / 4 * (y1 - y0)
            svg += "<text x=\"\(f(px(xv)))\" y=\"\(f(top + h + 14))\" font-size=\"10\" text-anchor=\"middle\">\(tick(xv))</text>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(yv) + 3))\" font-size=\"10\" text-anchor=\"end\">\(tick(yv))</text>"
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(yv)))\" x2=\"\(f(left + w))\" y2=\"\(f(py(yv)))\" stroke=\"#eee\"/>"
        }
        svg += "<text x=\"\(f(left + w / 2))\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"middle\">\(HTML.escape(plot.xLabel))</text>"
        svg += "<text x=\"12\" y=\"\(f(top + h / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f(top + h / 2)))\">\(HTML.escape(plot.yLabel))</text>"
        for (i, s) in plot.series.enumerated() {
            let colour = palette[i % palette.count]
            let points = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }.map { "\(f(px($0.0))),\(f(py($0.1)))" }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\" points=\"\(points.joined(separator: " "))\"/>"
            let ly = top + 4 + Double(i) * 13
            svg += "<rect x=\"\(f(left + w - 110))\" y=\"\(f(ly))\" width=\"10\" height=\"3\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(f(left + w - 96))\" y=\"\(f(ly + 5))\" font-size=\"10\">\(HTML.escape(s.name))</text>"
        }
        return svg + "</svg>"
    }

    static func tick(_ v: Double) -> String {
        let a = abs(v)
        if a == 0 { return "0" }
        if a >= 1000 || a < 0.001 { return String(format: "%.1e", v) }
        return a >= 10 ? String(format: "%.0f", v) : String(format: "%.3g", v)
    }
}
