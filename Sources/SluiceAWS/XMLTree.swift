import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML document as a small tree: what the REST-XML and Query
/// responses of S3, EC2 and STS need, read with `child`, `children` and
/// `value`. Namespaces are ignored (element names as written, unprefixed in
/// AWS's answers). Text is kept exactly, so S3 keys with leading or trailing
/// spaces survive.
package struct XMLTree: Sendable {
    /// The element's name.
    package var name: String
    /// The element's own text (entities decoded); whitespace between child elements included.
    package var text: String
    /// The child elements, in order.
    package var children: [XMLTree]

    /// The first child element named `name`.
    package func child(_ name: String) -> XMLTree? {
        children.first { $0.name == name }
    }

    /// Every child element named `name`, in order.
    package func children(_ name: String) -> [XMLTree] {
        children.filter { $0.name == name }
    }

    /// The text of the first child named `name`, or `nil` when there is none.
    package func value(_ name: String) -> String? {
        child(name)?.text
    }

    /// Parses `bytes`; throws `XMLTreeError` on malformed XML.
    package static func parse(_ bytes: [UInt8]) throws(XMLTreeError) -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw XMLTreeError(detail: parser.parserError.map { "\($0)" } ?? "no root element")
        }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            stack.append(XMLTree(name: elementName, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }
}

/// A response body that is not well-formed XML.
package struct XMLTreeError: Error, Sendable {
    /// The parser's complaint.
    package var detail: String
}
