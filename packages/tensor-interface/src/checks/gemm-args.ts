// Argument checks of the contract, shared by every backend (filled in by the refactor).
export {};
