import ArgumentParser
import ImageCodecs
import Manifest
import SegmaKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses, from sysexits(3) where one fits.
enum ExitStatus: Int32 {
  case success = 0
  /// Some records failed; each was reported and the run went on.
  case recordsFailed = 1
  case usage = 64
  case dataError = 65
  case noInput = 66
  case cannotCreate = 73
  case ioError = 74

  /// The status for an error that stops the whole run; `nil` for a closed stdout,
  /// which ends the run quietly with status 0.
  init?(stopping error: any Error) {
    switch error {
    case ManifestError.brokenPipe:
      return nil
    case let error as ManifestError:
      switch error {
      case .readFailed, .writeFailed: self = .ioError
      default: self = .dataError
      }
    case let error as OutputError:
      switch error {
      case .writeFailed: self = .ioError
      default: self = .cannotCreate
      }
    case is InputError, is ModelLoadError:
      self = .noInput
    case let error as ModelFileError:
      switch error {
      case .cannotWrite: self = .cannotCreate
      default: self = .dataError
      }
    case is ImageCodecError, is TrainingError:
      self = .dataError
    default:
      self = .ioError
    }
  }
}

/// Runs a command's body with the conventions every command shares: SIGPIPE
/// ignored so a closed stdout is an error value (ending the run quietly with 0),
/// run-stopping errors reported once with their sysexits status, and exit 1 at
/// the end when any record failed.
func runCommand(_ diagnostics: Diagnostics, _ body: () throws -> Void) throws {
  signal(SIGPIPE, SIG_IGN)
  Interruption.install()
  do {
    try body()
  } catch let error as ExitCode {
    throw error
  } catch let error as InterruptedError {
    diagnostics.finishProgress()
    diagnostics.note(error.description)
    throw ExitCode(error.status)
  } catch let error as ValidationError {
    diagnostics.finishProgress()
    throw error  // the parser prints it with the usage and exits 64
  } catch {
    diagnostics.finishProgress()
    guard let status = ExitStatus(stopping: error) else { throw ExitCode.success }
    diagnostics.error(String(describing: error))
    throw ExitCode(status.rawValue)
  }
  diagnostics.finishProgress()
  if diagnostics.failedRecords > 0 { throw ExitCode(ExitStatus.recordsFailed.rawValue) }
}
