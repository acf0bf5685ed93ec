locals {
  # One ingress rule per listener port and CIDR block. The test listener's port
  # is opened only when it exists.
  ingress_rules = merge(
    {
      for pair in setproduct(["https", "http"], var.ingress_cidr_blocks) :
      "${pair[0]}-${pair[1]}" => {
        port        = pair[0] == "https" ? 443 : 80
        cidr        = pair[1]
        description = pair[0] == "https" ? "HTTPS from clients" : "HTTP from clients, redirected to HTTPS"
      }
    },
    var.enable_blue_green ? {
      for cidr in local.test_listener_cidr_blocks :
      "test-${cidr}" => {
        port        = var.test_listener_port
        cidr        = cidr
        description = "HTTPS to the blue/green test listener"
      }
    } : {},
  )
}

resource "aws_security_group" "alb" {
  # A prefix instead of a fixed name lets Terraform create a replacement before
  # it deletes this group, which it cannot do while the load balancer uses it.
  name_prefix = "${var.name}-alb-"
  description = "Load balancer of ${var.name}: HTTPS and HTTP in, the app port of the VPC out"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.name}-alb"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = local.ingress_rules

  security_group_id = aws_security_group.alb.id
  description       = each.value.description
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = {
    Name = "${var.name}-alb-${each.key}"
  }
}

# The only way out: the app port of the targets, inside the VPC. Terraform
# removes the default allow-all egress rule of a new security group, and the
# admin port (9090, /metrics and /admin) is never opened, so the load balancer
# cannot reach it even if someone registers it as a target.
resource "aws_vpc_security_group_egress_rule" "app" {
  security_group_id = aws_security_group.alb.id
  description       = "Requests and health checks to the app port of the tasks"
  ip_protocol       = "tcp"
  from_port         = var.app_port
  to_port           = var.app_port
  cidr_ipv4         = var.vpc_cidr_block

  tags = {
    Name = "${var.name}-alb-to-app"
  }
}
