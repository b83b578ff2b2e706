/// Output file names for record ids (DESIGN §4): `DIR/<sanitised id>.<ext>`.
///
/// Sanitising keeps every name inside the output folder: `..`, `.` and empty
/// components are dropped (so a leading `/` goes too), NUL and control characters
/// are removed, a leading dot becomes `_` (no hidden outputs, no clash with
/// temporary files) and each component is cut to fit the 255-byte name limit.
func outputRelativePath(forID id: String, fileExtension: String) -> String {
  var components: [String] = []
  for raw in id.split(separator: "/", omittingEmptySubsequences: true) {
    // Filtered as UTF-8 bytes (control characters are single bytes, never part of a longer
    // character): building a String scalar by scalar cost ~20 µs a name, on the thread
    // that every written image waits for.
    var component = String(decoding: raw.utf8.filter { $0 >= 0x20 && $0 != 0x7F }, as: UTF8.self)
    if component == "." || component == ".." || component.isEmpty { continue }
    if component.hasPrefix(".") { component = "_" + component.dropFirst() }
    components.append(truncated(component, toBytes: 240))
  }
  if components.isEmpty { components = ["_"] }
  return components.joined(separator: "/") + "." + fileExtension
}

/// `text` cut to at most `limit` UTF-8 bytes, at a character boundary.
private func truncated(_ text: String, toBytes limit: Int) -> String {
  guard text.utf8.count > limit else { return text }
  var result = ""
  for character in text {
    if result.utf8.count + character.utf8.count > limit { break }
    result.append(character)
  }
  return result
}
