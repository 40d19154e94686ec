/**
 * Window orchestration and the desktop-automation fallback of chat-window agents. Importing this
 * module loads nothing native: nut-js and the X11 client load on the first call that needs them.
 */
export { checkAvailability, DesktopUnavailableError, type Availability, type UnavailableCode } from './availability';
export { confirmCapture, dwellCapture, type CalibrateRequest, type CalibrateResult, type RecheckResult } from './calibrate';
export { CALIBRATION_FILE, CalibrationStore, type AgentCalibration } from './calibration';
export { canTypeKeyByKey, parseChord, formatChord, ChordText } from './chords';
export {
  createDesktopAutomation,
  type AgentDesktopState,
  type AgentDesktopStatus,
  type DesktopAutomationOptions,
  type DesktopOrchestrator,
  type DesktopSendResult,
  type DesktopSettings,
} from './desktopAutomation';
export { gridCells, type Rect, type Point } from './geometry';
export type { InjectProblem, InjectResult } from './injector';
export type { PlaceResult, WindowEvent } from './windowRegistry';
export type { DesktopWindow } from './windows';
