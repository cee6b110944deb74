#!/usr/bin/perl
# A misbehaving external authenticator for the host's tests. The first
# argument names the behaviour; a marker file (second argument) lets a
# behaviour change after the first run, to see the host restart it.
#   ok             answer every request OK (INTF with "OK 2")
#   crash-at-start exit at once
#   crash-in-flight  first run: read 50 requests, answer none, exit; later runs: ok
#   freeze         answer INTF, then read and never answer
#   twice          answer every request twice
#   unknown        answer each request with an unknown number first, then properly
#   garbage        first run: answer with a line that is not a response; later runs: ok
#   huge           first run: write a 10 MB line; later runs: ok
#   deaf           answer INTF, then stop reading standard input for good
#   slow-ok        answer each request OK after 200 ms
#   fds            answer each request OK with the list of its open descriptors
use strict;
use warnings;
$| = 1;
my ($mode, $marker) = @ARGV;
$marker //= '';
my $first_run = 1;
if ($marker ne '') {
  $first_run = !-e $marker;
  open(my $fh, '>>', $marker) or die; close($fh);
}
exit 1 if $mode eq 'crash-at-start';

sub answer {
  my ($line) = @_;
  my ($seq, $cmd) = split / /, $line;
  return "$seq OK 2\n" if defined $cmd && $cmd eq 'INTF';
  return "$seq OK\n";
}

my $count = 0;
while (my $line = <STDIN>) {
  chomp $line;
  my ($seq, $cmd) = split / /, $line;
  my $intf = defined $cmd && $cmd eq 'INTF';
  if ($mode eq 'ok') { print answer($line); next; }
  if ($mode eq 'fds') {
    if ($intf) { print answer($line); next; }
    opendir(my $dir, '/proc/self/fd') or die;
    my $own = fileno($dir);
    my @fds = sort { $a <=> $b } grep { /^\d+$/ && $_ != $own } readdir($dir);
    closedir($dir);
    print "$seq OK " . join(',', @fds) . "\n";
    next;
  }
  if ($mode eq 'slow-ok') { select(undef, undef, undef, 0.2); print answer($line); next; }
  if ($mode eq 'crash-in-flight') {
    if ($first_run) { next if $intf && print answer($line); exit 3 if ++$count >= 50; next; }
    print answer($line); next;
  }
  if ($mode eq 'freeze') { print answer($line) if $intf; next; }
  if ($mode eq 'twice') { print answer($line); print answer($line); next; }
  if ($mode eq 'unknown') { print "" . ($seq + 100000) . " OK\n" unless $intf; print answer($line); next; }
  if ($mode eq 'garbage') { print($first_run && !$intf ? "hello there\n" : answer($line)); next; }
  if ($mode eq 'huge') {
    if ($first_run && !$intf) { print "x" x (10 * 1024 * 1024); print "\n"; next; }
    print answer($line); next;
  }
  if ($mode eq 'deaf') { if ($intf) { print answer($line); next; } sleep 3600; }
  die "unknown mode $mode";
}
