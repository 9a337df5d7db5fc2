import Foundation
import Testing

/// The quality figures of output objects computed by Python's standard
/// library (csv, json, gzip, hashlib, statistics) in the test venv, from
/// the type rules documented on `ValueType` — an implementation that shares
/// nothing with the worker's.
enum PythonReference {
    static let script = #"""
        import csv, datetime, gzip, hashlib, io, json, re, statistics, sys
        fmt, paths = sys.argv[1], sys.argv[2:]
        INT = re.compile(r'[+-]?[0-9]+\Z')
        DEC = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z')
        DATE = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})\Z')
        TS = re.compile(r'([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?\Z')

        def instant(text):
            m = DATE.match(text)
            if m:
                try: d = datetime.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError: return None
                return ('date', (d - datetime.date(1970, 1, 1)).days * 86400.0)
            m = TS.match(text)
            if m:
                base = instant(m[1])
                h, mi, s = int(m[2]), int(m[3]), int(m[4])
                if base is None or h > 23 or mi > 59 or s > 60: return None
                secs = base[1] + h * 3600 + mi * 60 + s + (float(m[5]) if m[5] else 0)
                z = m[6]
                if z and z != 'Z':
                    digits = z[1:].replace(':', '')
                    off = int(digits[:2]) * 3600 + int(digits[2:]) * 60
                    secs += -off if z[0] == '+' else off
                return ('timestamp', secs)
            return None

        def classify(text, numeric=True):
            if numeric:
                if INT.match(text) and -2**63 <= int(text) < 2**63: return 'integer', float(int(text))
                if DEC.match(text): return 'decimal', float(text)
                if text.lower() in ('true', 'false'): return 'boolean', None
            found = instant(text)
            if found: return found
            return 'string', None

        records, columns, order, seen = 0, {}, [], {}
        duplicates, sha = 0, {}
        def column(name):
            if name not in columns:
                columns[name] = {'present': 0, 'types': {}, 'values': set(), 'numbers': [], 'times': []}
                order.append(name)
            return columns[name]
        def observe(name, text, kind):
            c = column(name)
            c['present'] += 1
            c['values'].add(text)
            c['types'][kind[0]] = c['types'].get(kind[0], 0) + 1
            if kind[0] in ('integer', 'decimal'): c['numbers'].append(kind[1])
            if kind[0] in ('date', 'timestamp'): c['times'].append((kind[1], text))

        for path in paths:
            raw = open(path, 'rb').read()
            sha[path] = hashlib.sha256(raw).hexdigest()
            data = gzip.decompress(raw) if fmt == 'csv.gz' else raw
            if fmt == 'csv.gz': open(path + '.plain', 'wb').write(data)
            if fmt in ('csv', 'csv.gz'):
                rows = list(csv.reader(io.StringIO(data.decode('utf-8'), newline='')))
                if not rows: continue
                header = rows[0]
                for name in header: column(name)
                for row in rows[1:]:
                    records += 1
                    key = tuple(row)
                    duplicates += key in seen
                    seen[key] = True
                    for name, value in zip(header, row):
                        if value != '': observe(name, value, classify(value))
            else:
                for line in data.decode('utf-8').splitlines():
                    if not line: continue
                    records += 1
                    duplicates += line in seen
                    seen[line] = True
                    obj = json.loads(line)
                    for name, value in obj.items():
                        column(name)
                        if value is None or value == '': continue
                        if isinstance(value, bool): observe(name, str(value).lower(), ('boolean', None))
                        elif isinstance(value, int): observe(name, str(value), ('integer', float(value)))
                        elif isinstance(value, float): observe(name, repr(value), ('decimal', value))
                        elif isinstance(value, str): observe(name, value, classify(value, numeric=False))
                        else: observe(name, json.dumps(value), ('string', None))

        out = {'sha256': sha, 'records': records, 'duplicates': duplicates, 'columns': []}
        for name in order:
            c = columns[name]
            t, n = c['types'], c['present']
            if n == 0: kind = 'string'
            elif t.get('integer', 0) == n: kind = 'integer'
            elif t.get('integer', 0) + t.get('decimal', 0) == n: kind = 'decimal'
            elif t.get('boolean', 0) == n: kind = 'boolean'
            elif t.get('date', 0) == n: kind = 'date'
            elif t.get('date', 0) + t.get('timestamp', 0) == n: kind = 'timestamp'
            else: kind = 'string'
            item = {'name': name, 'type': kind, 'nulls': records - n, 'distinct': len(c['values'])}
            if kind in ('integer', 'decimal'):
                xs = c['numbers']
                item.update(min=min(xs), max=max(xs), mean=statistics.fmean(xs), stddev=statistics.stdev(xs) if len(xs) > 1 else 0.0)
            if kind in ('date', 'timestamp'):
                item.update(min=min(c['times'])[1], max=max(c['times'])[1])
            out['columns'].append(item)
        print(json.dumps(out))
        """#

    /// Runs the script over the files at `paths` (format `csv`, `csv.gz` or `jsonl`).
    static func profile(format: String, paths: [String]) throws -> [String: Any] {
        let python = try #require(ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"], "set SLUICE_TEST_PYTHON (make test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, format] + paths
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
