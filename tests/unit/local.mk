# Unit tests of pure logic and format objects (Check).
