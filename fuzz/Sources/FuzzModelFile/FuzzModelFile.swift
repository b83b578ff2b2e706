import SegmaKit

/// A model file as `--model` loads it: `ModelFile.decode` checks the header, the
/// config and every tensor's offsets, the file is hashed for the model id, then the
/// model is built only when every tensor fits the architecture.
///
/// Traps (a finding) when a decoded tensor's values do not match its shape; a thrown
/// `ModelFileError` is the expected answer to a bad file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let file: (config: ModelConfig, tensors: [NamedTensor])
  do {
    file = try ModelFile.decode(bytes, path: "input")
  } catch {
    return 0
  }
  for tensor in file.tensors {
    precondition(tensor.shape.reduce(1, *) == tensor.values.count, "tensor \(tensor.name) does not fit its shape")
  }
  _ = ModelFile.modelID(sha256: ModelFile.sha256(of: bytes))
  _ = try? SegmaModel(config: file.config, tensors: file.tensors, path: "input", encoderBatch: 1, decoderBatch: 1)
  return 0
}
