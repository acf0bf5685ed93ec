data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  # Target group names are limited to 32 characters. The colour suffix is kept
  # whole, so the blue and green names always differ even when name is cut.
  target_group_names = {
    blue  = "${substr(var.name, 0, 32 - length("-blue"))}-blue"
    green = "${substr(var.name, 0, 32 - length("-green"))}-green"
  }

  # The health check has to time out before the next one starts. /health
  # answers in milliseconds, so 5 s is already generous.
  health_check_timeout = min(5, var.health_check_interval_seconds - 1)

  # The TLS 1.3 policy that still accepts TLS 1.2 clients with forward-secret
  # AEAD ciphers only: the AWS recommendation for internet-facing listeners.
  ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  test_listener_cidr_blocks = coalesce(var.test_listener_cidr_blocks, var.ingress_cidr_blocks)
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76: Log4j is covered by AWSManagedRulesKnownBadInputsRuleSet; the check also demands AWSManagedRulesAnonymousIpList, whose hosting-provider rule would block legitimate server-to-server clients and CI smoke tests of this API.
  #checkov:skip=CKV_AWS_150: deletion protection is the deletion_protection variable: prod turns it on, and dev and staging must stay destroyable (checkov reads their calls with it off).
  name               = var.name
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.alb.id]
  subnets            = var.public_subnet_ids

  idle_timeout               = var.idle_timeout_seconds
  enable_deletion_protection = var.deletion_protection
  enable_http2               = true

  # Requests with header names that are not valid HTTP tokens are dropped
  # instead of forwarded, so the service never has to reason about them.
  drop_invalid_header_fields = true

  # Defensive is the mode AWS recommends: it blocks requests that are a
  # request-smuggling risk yet still lets odd but harmless clients through,
  # which "strictest" would answer with 400.
  desync_mitigation_mode = "defensive"

  access_logs {
    bucket  = aws_s3_bucket.access_logs.id
    enabled = true
  }

  # Creating a load balancer with access logs makes ELB write a test object
  # into the bucket, which fails until the bucket policy allows it.
  depends_on = [
    aws_s3_bucket_policy.access_logs,
    aws_s3_bucket_server_side_encryption_configuration.access_logs,
    aws_s3_bucket_ownership_controls.access_logs,
  ]
}

resource "aws_lb_target_group" "this" {
  for_each = var.enable_blue_green ? toset(["blue", "green"]) : toset(["blue"])

  #checkov:skip=CKV_AWS_378: TLS ends at the load balancer; the hop to the tasks stays inside the VPC, limited by security groups to the app port, and the service serves plain HTTP.
  name        = local.target_group_names[each.key]
  vpc_id      = var.vpc_id
  target_type = "ip"
  port        = var.app_port
  protocol    = "HTTP"

  # Requests take milliseconds and the service cuts any request at
  # APP_REQUEST_TIMEOUT (10 s), so a short delay drains every in-flight request.
  # ECS sends SIGTERM only after it, and the service's own drain (bounded at
  # 25 s) then has next to nothing left to finish. The AWS default of 300 s
  # would only make every deployment five minutes slower.
  deregistration_delay = var.deregistration_delay_seconds

  # /health never touches the database or any other dependency: a failure means
  # this task itself is wedged or draining, never that something it depends on
  # is down. So a short interval and few checks cannot make the fleet flap on a
  # dependency outage, and they take a broken task out of service in about 20 s
  # and put a new one in service in about 20 s with the defaults. The check
  # names the app port outright, so it can never probe the admin listener.
  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = tostring(var.app_port)
    path                = var.health_check_path
    matcher             = "200"
    interval            = var.health_check_interval_seconds
    timeout             = local.health_check_timeout
    healthy_threshold   = var.healthy_threshold
    unhealthy_threshold = var.unhealthy_threshold
  }

  tags = {
    Name = local.target_group_names[each.key]
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  # Port 80 exists only to send clients to HTTPS; it never forwards a request.
  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}

# Without blue/green, Terraform owns the forward to the blue target group.
resource "aws_lb_listener" "https" {
  count = var.enable_blue_green ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = local.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["blue"].arn
  }
}

# With blue/green, CodeDeploy switches the listener between the blue and green
# target groups on every deployment, so Terraform sets the first target group
# and then leaves the choice to CodeDeploy: reverting it would send production
# traffic to the idle target group. It is a separate resource because
# ignore_changes cannot depend on a variable.
resource "aws_lb_listener" "https_blue_green" {
  count = var.enable_blue_green ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = local.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }
}

# CodeDeploy sends test traffic to the replacement task set through this
# listener before it moves production traffic, and swaps its target group too.
resource "aws_lb_listener" "test" {
  count = var.enable_blue_green ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = "HTTPS"
  ssl_policy        = local.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["green"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }
}
