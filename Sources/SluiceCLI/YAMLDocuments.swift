import Foundation
import Yams

/// YAML (and so JSON) files read into JSON values, keeping each node's
/// line so that problems can name `file:line`.
struct YAMLDocument {
    /// The file it came from.
    var file: String
    /// The document's root node (lines live in its marks).
    var node: Node
    /// The document as a JSON value (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `NSNull`).
    var value: Any

    /// The line of the document's first node.
    var line: Int { node.mark?.line ?? 1 }

    /// The line of the node at `path` (`spec.gates.min_records`,
    /// `spec.fund_ids[2]`), or of its deepest ancestor that exists: a
    /// missing field is reported where it should have been.
    func line(of path: [PathComponent]) -> Int {
        var current = node
        var line = self.line
        for component in path {
            switch (component, current) {
            case (.key(let key), .mapping(let mapping)):
                guard let pair = mapping.first(where: { $0.key.string == key }) else { return line }
                line = pair.key.mark?.line ?? line
                current = pair.value
            case (.index(let index), .sequence(let sequence)):
                guard sequence.indices.contains(index) else { return line }
                current = sequence[index]
                line = current.mark?.line ?? line
            default:
                return line
            }
        }
        return line
    }

    enum PathComponent: Equatable {
        case key(String)
        case index(Int)
    }

    /// `documents[1].spec.fund_ids[2]` → `[index 1]` and `[spec, fund_ids, 2]`.
    static func parse(fieldPath: String) -> (document: Int, path: [PathComponent])? {
        guard fieldPath.hasPrefix("documents[") else { return nil }
        var components: [PathComponent] = []
        for part in fieldPath.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                guard let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) else { break }
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty { components.append(.key(String(name))) }
            components += indices.map(PathComponent.index)
        }
        guard components.count >= 2, components[0] == .key("documents"), case .index(let document) = components[1] else { return nil }
        return (document, Array(components.dropFirst(2)))
    }

    /// Every document of `text` (a `---`-separated stream); empty documents skipped.
    static func read(_ text: String, file: String) throws(CLIError) -> [YAMLDocument] {
        do {
            var documents: [YAMLDocument] = []
            // Parser.nextRoot rather than compose_all, whose sequence swallows errors.
            let parser = try Parser(yaml: text, resolver: Self.coreSchema)
            while let node = try parser.nextRoot() {
                if case .scalar(let scalar) = node, scalar.string.isEmpty, node.tag.rawValue == Tag.Name.null.rawValue { continue }
                documents.append(YAMLDocument(file: file, node: node, value: try json(node, file: file)))
            }
            return documents
        } catch let error as CLIError {
            throw error
        } catch let error as YamlError {
            throw CLIError(CLIError.dataError, "\(file): \(Self.describe(error))")
        } catch {
            throw CLIError(CLIError.dataError, "\(file): \(error)")
        }
    }

    /// Every document of a file, or of every `*.yaml`/`*.yml` of a folder in name order.
    static func load(path: String) throws(CLIError) -> [YAMLDocument] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CLIError(CLIError.dataError, "\(path): no such file or folder")
        }
        var files = [path]
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
            if files.isEmpty { throw CLIError(CLIError.dataError, "\(path): no *.yaml or *.yml files") }
        }
        var documents: [YAMLDocument] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError(CLIError.dataError, "\(file): cannot be read")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIError(CLIError.dataError, "\(file): is not UTF-8 text")
            }
            documents += try read(text, file: file)
        }
        return documents
    }

    /// YAML 1.2's core schema, where Yams' default is YAML 1.1's: there,
    /// `0123` is octal 83, `1:30` is 90, and `on`, `yes`, `NO` are
    /// booleans, which would change a run's parameters without a word.
    /// Timestamps stay strings (JSON has none).
    static let coreSchema: Resolver = {
        let rules = Resolver.default.removing(.merge).removing(.timestamp).removing(.value)
        // Constant patterns: `try?` cannot fail here (the test of typed
        // parameters would show it).
        return (try? rules
            .replacing(.bool, with: "^(?:true|True|TRUE|false|False|FALSE)$")
            .replacing(.int, with: "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
            .replacing(.float, with: #"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"#))
            ?? rules
    }()

    /// A core-schema integer (decimal, `0o` octal, `0x` hexadecimal), read
    /// here rather than by Yams, which reads a leading zero as octal.
    static func coreInteger(_ text: String) -> Int? {
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        return Int(text)
    }

    /// A node as a JSON value. Scalars keep YAML 1.2's core types (null,
    /// bool, int, float, str); keys must be strings.
    static func json(_ node: Node, file: String) throws(CLIError) -> Any {
        let at = "\(file):\(node.mark?.line ?? 0)"
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return NSNull()
            case Tag.Name.bool.rawValue: return NSNumber(value: scalar.string.lowercased() == "true")
            case Tag.Name.int.rawValue:
                guard let value = coreInteger(scalar.string) else { throw CLIError(CLIError.dataError, "\(at): \(scalar.string) is out of range") }
                return NSNumber(value: value)
            case Tag.Name.float.rawValue:
                guard let value = node.float, value.isFinite else { throw CLIError(CLIError.dataError, "\(at): numbers must be finite") }
                return NSNumber(value: value)
            default: return scalar.string
            }
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else { throw CLIError(CLIError.dataError, "\(at): keys must be strings") }
                if object[name.string] != nil {
                    throw CLIError(CLIError.dataError, "\(file):\(key.mark?.line ?? 0): duplicate key \(name.string)")
                }
                object[name.string] = try json(value, file: file)
            }
            return object
        case .sequence(let sequence):
            var array: [Any] = []
            for element in sequence { array.append(try json(element, file: file)) }
            return array
        case .alias:
            throw CLIError(CLIError.dataError, "\(at): aliases are not supported")
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            return "line \(mark.line): \(problem)\(context.map { " \($0.text)" } ?? "")"
        default:
            return "\(error)"
        }
    }
}
