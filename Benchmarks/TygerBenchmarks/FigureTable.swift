/// The figures as an aligned plain-text table, ready to paste into Markdown.
struct FigureTable {
    var figures: [Figure]

    func print() {
        let header = ["figure", "measured", "target", "judged by", "result"]
        let rows = figures.map { [$0.name, $0.measured, $0.target, $0.judgedBy, $0.passes ? "pass" : "FAIL"] }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: " | ") + " |"
        }
        writeLine("")
        writeLine(line(header))
        writeLine(line(widths.map { String(repeating: "-", count: $0) }))
        for row in rows { writeLine(line(row)) }
    }
}
