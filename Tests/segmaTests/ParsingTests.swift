import ArgumentParser
import ImageCodecs
import Testing

@testable import segma

/// Help text and usage errors, checked without spawning the tool.
@Suite struct ParsingTests {
  @Test(arguments: [
    Segma.Info.self, Segma.Sheet.self, Segma.Train.self, Segma.Eval.self, Segma.Encode.self, Segma.Decode.self,
    Segma.Transfer.self, Segma.Classify.self, Segma.Restyle.self, Segma.Intensity.self, Segma.Sample.self,
    Segma.Interpolate.self,
  ] as [any ParsableCommand.Type])
  func everyCommandHelpShowsExamples(command: any ParsableCommand.Type) {
    let help = Segma.helpMessage(for: command)
    #expect(help.contains("EXAMPLES"))
    #expect(help.contains("segma \(command._commandName)"))
  }

  func exitCode(_ arguments: [String]) -> Int32 {
    do {
      var command = try Segma.parseAsRoot(arguments)
      try command.validate()
      return 0
    } catch {
      return Segma.exitCode(for: error).rawValue
    }
  }

  @Test func usageErrorsExit64() {
    #expect(exitCode(["sheet", "-o", "s.png", "--columns", "0", "x"]) == 64)
    #expect(exitCode(["sheet", "-o", "s.png", "--cell", "3y4", "x"]) == 64)
    #expect(exitCode(["sheet", "-o", "s.png", "--overwrite", "--skip-existing", "x"]) == 64)
    #expect(exitCode(["sheet", "-o", "s.png", "-j", "0", "x"]) == 64)
    #expect(exitCode(["sheet", "-o", "s.png", "--background", "mauve", "x"]) == 64)
    #expect(exitCode(["sheet", "-o", "s.png", "-", "x"]) == 64)
    #expect(exitCode(["info"]) == 64)
    #expect(exitCode(["no-such-command"]) == 64)
    #expect(exitCode(["sheet", "-o", "s.png", "--cell", "64x32", "x"]) == 0)
    // DESIGN's spelling, -j/--threads (it was -t for a while, and -j 0 above failed for the wrong reason).
    #expect(exitCode(["sheet", "-o", "s.png", "-j", "2", "x"]) == 0)
    #expect(exitCode(["train", "--threads", "2", "data"]) == 0)
  }

  /// decode needs -o, unless --dry-run, which takes none of the options about files.
  @Test func decodeNeedsAFolderOrADryRun() {
    #expect(exitCode(["decode"]) == 64)
    #expect(exitCode(["decode", "-o", "out"]) == 0)
    #expect(exitCode(["decode", "--dry-run"]) == 0)
    #expect(exitCode(["decode", "--dry-run", "-o", "out"]) == 64)
    #expect(exitCode(["decode", "--dry-run", "--skip-existing"]) == 64)
    #expect(Segma.helpMessage(for: Segma.Decode.self).contains("--dry-run"))
  }

  @Test func valuesParseToTypes() throws {
    #expect(PixelSize(argument: "64x32") == PixelSize(width: 64, height: 32))
    #expect(PixelSize(argument: "0x3") == nil)
    #expect(PixelSize(argument: "64") == nil)
    let sheet = try #require(try Segma.parseAsRoot(["sheet", "-o", "s.png", "--background", "#000", "x"]) as? Segma.Sheet)
    #expect(sheet.input.images.background.color == .black)
  }
}
